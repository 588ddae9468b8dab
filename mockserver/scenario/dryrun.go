package scenario

import (
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
)

// DryRun applies the scenario to a scratch tenant and then carries out every push at once, in file
// order, as if no client did anything in between. It finds what loading alone cannot: an action
// the group model refuses (a member kicking the owner, a group dismissed twice…), reported as a
// *RunError at the action's position. A scenario whose pushes rely on what a client does first
// (a group the client creates) fails here although it may run well: `scenario check --no-dry-run`.
func (sc *Scenario) DryRun() error {
	id, secret := int64(1400000001), "dry-run"
	if t := sc.Tenant; t != nil {
		id, secret = t.SDKAppID, t.Secret
	}
	seed := uint64(id)
	if sc.Seed != nil {
		seed = *sc.Seed
	}
	app := state.NewApp(state.Options{SDKAppID: id, Secret: secret, Seed: seed})
	defer app.Close()
	seedOnly := *sc
	seedOnly.Pushes, seedOnly.Timeline = nil, nil
	run, err := seedOnly.Apply(Target{App: app, Faults: fault.NewRules(faultOptions)})
	if err != nil {
		return err
	}
	run.Stop()
	msgs := newMessenger(seed)
	for i, p := range sc.Pushes {
		if _, err := p.do(app, msgs); err != nil {
			return &RunError{At: p.at, Push: i, Action: p.actionKey(), Err: err}
		}
	}
	return nil
}
