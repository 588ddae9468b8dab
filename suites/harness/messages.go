package harness

import (
	"encoding/json"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/suites/driver"
)

// Message is the part of an SDK Message object the suites assert on.
type Message struct {
	ID               string         `json:"ID"`
	Type             string         `json:"type"`
	ConversationID   string         `json:"conversationID"`
	ConversationType string         `json:"conversationType"`
	To               string         `json:"to"`
	From             string         `json:"from"`
	Flow             string         `json:"flow"`
	Status           string         `json:"status"`
	Time             int64          `json:"time"`
	Sequence         uint64         `json:"sequence"`
	Random           uint32         `json:"random"`
	IsRevoked        bool           `json:"isRevoked"`
	IsPeerRead       bool           `json:"isPeerRead"`
	Nick             string         `json:"nick"`
	Avatar           string         `json:"avatar"`
	Payload          map[string]any `json:"payload"`
}

// Messages decodes a MESSAGE_RECEIVED event's data (a list of messages).
func Messages(ev driver.Event) []Message {
	GinkgoHelper()
	var ms []Message
	Expect(json.Unmarshal(ev.Data, &ms)).To(Succeed(), "%s data: %s", ev.Name, ev.Data)
	return ms
}

// Sent decodes a sendMessage result ({code, data:{message}}).
func Sent(res json.RawMessage) Message {
	GinkgoHelper()
	var r struct {
		Code int
		Data struct{ Message Message }
	}
	Expect(json.Unmarshal(res, &r)).To(Succeed(), "sendMessage result: %s", res)
	return r.Data.Message
}

// Decode unmarshals an SDK result into v, failing the spec with the raw JSON otherwise.
func Decode(raw json.RawMessage, v any) {
	GinkgoHelper()
	Expect(json.Unmarshal(raw, v)).To(Succeed(), "decoding %s", raw)
}

// Received matches MESSAGE_RECEIVED events carrying a message that satisfies pred.
func Received(pred func(Message) bool) func(driver.Event) bool {
	return func(ev driver.Event) bool {
		var ms []Message
		if json.Unmarshal(ev.Data, &ms) != nil {
			return false
		}
		for _, m := range ms {
			if pred(m) {
				return true
			}
		}
		return false
	}
}

// AwaitMessage waits for a MESSAGE_RECEIVED event with a message satisfying pred and returns that message.
func (u *User) AwaitMessage(desc string, pred func(Message) bool) Message {
	GinkgoHelper()
	ev := u.Await("MESSAGE_RECEIVED", Received(pred))
	for _, m := range Messages(ev) {
		if pred(m) {
			return m
		}
	}
	Fail(fmt.Sprintf("%s: matched event lost its message %s", u.ID, desc))
	return Message{}
}

// SendText sends a C2C text with the SDK and returns the sent message.
func (u *User) SendText(to, text string) Message {
	GinkgoHelper()
	res, err := u.Send(Ctx(), "createTextMessage", map[string]any{
		"to": to, "conversationType": "$TYPES.CONV_C2C", "payload": map[string]any{"text": text},
	})
	Expect(err).NotTo(HaveOccurred(), "%s sending %q to %s", u.ID, text, to)
	return Sent(res)
}

// History pages backwards through a conversation with getMessageList (count per page) until the SDK
// says it is complete, and returns the messages oldest first and how many pages it took.
func (u *User) History(conversationID string, count int) (msgs []Message, pages int) {
	GinkgoHelper()
	next := ""
	for {
		args := map[string]any{"conversationID": conversationID, "count": count}
		if next != "" {
			args["nextReqMessageID"] = next
		}
		res, err := u.Call(Ctx(), "getMessageList", args)
		Expect(err).NotTo(HaveOccurred(), "%s: getMessageList %s", u.ID, conversationID)
		var page struct {
			Data struct {
				MessageList      []Message
				NextReqMessageID string
				IsCompleted      bool
			}
		}
		Decode(res, &page)
		pages++
		msgs = append(page.Data.MessageList, msgs...)
		if page.Data.IsCompleted {
			return msgs, pages
		}
		next = page.Data.NextReqMessageID
		Expect(pages).To(BeNumerically("<", 20), "%s: getMessageList %s never completes", u.ID, conversationID)
	}
}
