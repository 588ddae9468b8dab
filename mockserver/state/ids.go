package state

import (
	"fmt"
	"math/rand/v2"
)

// ids hands out a tenant's server-side identifiers from a seeded generator, so two runs of one
// scenario produce the same TinyIds, A2Keys, cookies and group ids. Guarded by App.mu.
type ids struct {
	r *rand.Rand
}

func newIDs(seed uint64) *ids { return &ids{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

// tinyID is a large number as a string: real TinyIds exceed 2^53.
func (g *ids) tinyID() string { return fmt.Sprintf("144115%013d", g.r.Uint64N(1e13)) }

func (g *ids) token(n int) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *ids) random32() uint32 { return g.r.Uint32() }

// Reseed restarts the tenant's id generator from seed (a scenario's `seed:`), so the ids handed
// out from here on depend only on the seed and the calls that follow, not on the tenant's past.
func (a *App) Reseed(seed uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids = newIDs(seed)
}
