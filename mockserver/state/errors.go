package state

import "fmt"

// Reason is why the state refused something, in the domain's own terms. The state knows no
// protocol's error numbers: each protocol maps reasons to its codes (Tencent IM: tim/codes.go).
type Reason string

// Reasons the state gives.
const (
	InvalidAccount     Reason = "invalid-account"       // an account the request names does not exist
	AuthFailed         Reason = "auth-failed"           // the credentials name no live session
	BadRequest         Reason = "bad-request"           // the request as a whole is unusable
	GroupBadParam      Reason = "group-bad-param"       // a group request has a missing or invalid field
	GroupNoPermission  Reason = "group-no-permission"   // the caller may not do this in the group
	GroupOwnerCantQuit Reason = "group-owner-cant-quit" // the owner of a group cannot quit it
	GroupNotFound      Reason = "group-not-found"       // no such group
	GroupAlreadyMember Reason = "group-already-member"  // the account is a member already
	GroupFull          Reason = "group-full"            // the group has no room for more members
	GroupIDInvalid     Reason = "groupid-invalid"       // a group id the caller chose is not usable
	GroupMuted         Reason = "group-muted"           // the sender is muted in the group
	GroupNoAccount     Reason = "group-no-account"      // an account named for the group does not exist
	GroupIDTaken       Reason = "groupid-taken"         // the group id is taken
	GroupHandled       Reason = "group-handled"         // the join request was handled already
	GroupIDTakenByYou  Reason = "groupid-taken-by-you"  // the group id is taken by a group of the caller
	RecallNotFound     Reason = "recall-not-found"      // no such message to recall
	RecallTooLate      Reason = "recall-too-late"       // the recall window has passed
	RecallNotSupported Reason = "recall-not-supported"  // messages of this group type cannot be recalled
	SNSNoAccount       Reason = "sns-no-account"        // the other account does not exist
	SNSNotFriend       Reason = "sns-not-friend"        // the account is not a friend
	SNSInMyBlack       Reason = "sns-in-my-black"       // the caller blocked the account
	SNSDenyAny         Reason = "sns-deny-any"          // the account accepts no friend requests
	SNSInTheirBlack    Reason = "sns-in-their-black"    // the account blocked the caller
	SNSPending         Reason = "sns-pending"           // a friend request was left for the account to answer
	SNSNoPendency      Reason = "sns-no-pendency"       // there is no such friend request
	SNSNotInBlack      Reason = "sns-not-in-black"      // the account is not in the blacklist
	SNSSelf            Reason = "sns-self"              // the caller names itself
)

// Error is a refusal of the state: a Reason and a text for people (protocols answer it as their
// error text). Field names the field of a spec the state refused ("Members[2].Role"), when it was
// one: a scenario points at the same field in its file.
type Error struct {
	Reason Reason
	Field  string
	Info   string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%s)", e.Info, e.Reason) }

func errorf(r Reason, format string, a ...any) error {
	return &Error{Reason: r, Info: fmt.Sprintf(format, a...)}
}

func fieldErr(r Reason, field, format string, a ...any) error {
	return &Error{Reason: r, Field: field, Info: fmt.Sprintf(format, a...)}
}

// withField names the spec field of a refusal (err is an *Error from a check of that field).
func withField(err error, field string) error {
	if e, ok := err.(*Error); ok {
		c := *e
		c.Field = field
		return &c
	}
	return err
}
