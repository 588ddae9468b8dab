package recorder

// SeqTaken is how many Seqs were handed out (tests wait for a held request to arrive).
func (r *Recorder) SeqTaken() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq
}

// IsNormalised says whether a string is a placeholder the normaliser wrote.
var IsNormalised = isNormalised
