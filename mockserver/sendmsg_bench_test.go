package mockserver_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/state"
)

// BenchmarkSendMsg is the server's own cost of one openim/sendmsg (alice to bob, stored and queued
// for bob): the whole handler a served request meets (request log, call pipeline, Tencent IM
// handler, state), called in-process so that neither the network nor a client is counted. Its
// allocs/op is stable from run to run; ns/op moves with the machine's load.
func BenchmarkSendMsg(b *testing.B) {
	for _, mode := range []string{"off", "all"} {
		b.Run("log="+mode, func(b *testing.B) {
			o := mockserver.Options{}
			if mode == "all" { // as `imharness serve` runs by default, its lines thrown away
				o.Logger, o.Log = slog.New(slog.NewTextHandler(io.Discard, nil)), mockserver.LogAll
			}
			srv := mockserver.New(o)
			if err := srv.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = srv.Close() }()
			app, err := srv.AddApp(state.Options{SDKAppID: appID, Secret: secret})
			if err != nil {
				b.Fatal(err)
			}
			alice := app.Login("alice")
			app.Login("bob")
			h := srv.Handler()
			target := fmt.Sprintf("/v4/openim/sendmsg?sdkappid=%d&contenttype=json&a2=%s&tinyid=%s&apn=1&reqtime=1&websdkappid=537048168&v=2.7.0&platform=10",
				appID, alice.A2, alice.TinyID)
			bodies := make([]string, 1024)
			for i := range bodies {
				bodies[i] = `{"From_Account":"alice","To_Account":"bob","MsgSeq":` + strconv.Itoa(i+1) + `,"MsgRandom":` + strconv.Itoa(1000+i) +
					`,"MsgTimeStamp":1700000000,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hello bob"}}]}`
			}
			// One request and one recorder serve every iteration (the handler keeps neither), so
			// the figures are the server's alone.
			body := &strings.Reader{}
			r := httptest.NewRequest(http.MethodPost, target, nil)
			r.Body = io.NopCloser(body)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				body.Reset(bodies[i%len(bodies)])
				r.ContentLength = int64(body.Len()) // as net/http sets it from the header
				w.Body.Reset()
				h.ServeHTTP(w, r)
				if i == 0 && !strings.Contains(w.Body.String(), `"ErrorCode":0`) {
					b.Fatalf("sendmsg: %s", w.Body)
				}
			}
		})
	}
}
