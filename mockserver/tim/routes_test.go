package tim

import (
	"strings"
	"testing"
)

// Routes are built per Handler; registering a command twice is an error, not a silent overwrite.
func TestDuplicateRouteIsAnError(t *testing.T) {
	r := routes{}
	fn := func(*Call) (any, *Error) { return nil, nil }
	if err := r.add(authSession, map[string]func(*Call) (any, *Error){"openim/sendmsg": fn}); err != nil {
		t.Fatal(err)
	}
	err := r.add(authNone, map[string]func(*Call) (any, *Error){"openim/sendmsg": fn})
	if err == nil || !strings.Contains(err.Error(), "openim/sendmsg is registered twice") {
		t.Fatalf("got %v", err)
	}
	if r["openim/sendmsg"].auth != authSession {
		t.Fatal("the second registration replaced the first")
	}
	if _, err := buildRoutes(); err != nil {
		t.Fatalf("the package's own tables: %v", err)
	}
	a, _ := buildRoutes()
	b, _ := buildRoutes()
	delete(a, "openim/sendmsg")
	if _, ok := b["openim/sendmsg"]; !ok {
		t.Fatal("two handlers share one route table")
	}
}
