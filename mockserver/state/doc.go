// Package state is the protocol-neutral IM domain model of the fake server: tenants (apps), users,
// sessions, C2C and group messages, conversations, groups and per-user event queues.
//
// Lock discipline: every App has exactly one mutex, App.mu. Every exported method of App (and of
// the types it hands out by value) takes it for its whole run, and no method calls another exported
// method while holding it (internal helpers are lower-case and assume the lock is held). Nothing
// blocks while holding it: a long poll takes a snapshot and a wake channel under the lock, then waits
// on the channel outside it. Pointers to internal records never leave the package; callers get copies.
//
// Message element content is opaque here (Elem.Content): the protocol adapter owns its wire shape.
// Profile fields have domain names (ProfileField: nick, avatar, allow_type, custom.<name>…) and
// relationship-chain notices domain kinds; each protocol maps them to its own names and numbers.
package state
