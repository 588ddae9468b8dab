package mockserver

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// requireToken guards the admin API with a bearer token; an empty token leaves it open (the
// default for a server on loopback, where only local processes reach it).
func requireToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || got == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="imharness admin"`)
			adminError(w, http.StatusUnauthorized, "the admin API needs the header \"Authorization: Bearer <token>\" (serve --admin-token)")
			return
		}
		// Constant time, so the token cannot be guessed byte by byte from response times.
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="imharness admin", error="invalid_token"`)
			adminError(w, http.StatusUnauthorized, "the admin token is wrong")
			return
		}
		h.ServeHTTP(w, r)
	})
}
