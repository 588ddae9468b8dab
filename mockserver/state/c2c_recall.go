package state

// C2CRecall says the sender recalled a C2C message, named by its MsgSeq and MsgRandom.
type C2CRecall struct {
	From, To string
	Seq      uint64
	Random   uint32
	Time     int64
}

// RecallC2C recalls op's message to peer named by its MsgSeq and MsgRandom: only its sender may,
// within two minutes (the group rule). The message stays in history marked revoked and no longer
// counts as unread; the peer's sessions and the sender's other sessions get a recall event.
func (a *App) RecallC2C(fromInstance int, op, peer string, seq uint64, random uint32) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	from, to := a.users[op], a.users[peer]
	if from == nil || to == nil {
		return errorf(InvalidAccount, "no conversation between %q and %q", op, peer)
	}
	var m *C2CMessage
	for _, x := range a.pairs[pairKey(op, peer)] {
		if x.From == op && x.To == peer && x.Seq == seq && x.Random == random {
			m = x
		}
	}
	now := a.clock.Now().Unix()
	switch {
	case m == nil || m.Revoked:
		return errorf(BadRequest, "%q sent %q no message with MsgSeq %d and MsgRandom %d to recall", op, peer, seq, random)
	case now-m.Time > recallWindowSeconds:
		return errorf(BadRequest, "the message is %d s old: recalls end after %d s", now-m.Time, recallWindowSeconds)
	}
	m.Revoked = true
	r := &C2CRecall{From: op, To: peer, Seq: seq, Random: random, Time: now}
	a.push(to, Event{Kind: EvC2CRecall, C2CRecall: r})
	if op != peer {
		a.push(from, Event{Kind: EvC2CRecall, C2CRecall: r, ExceptInstance: fromInstance})
	}
	return nil
}
