// Package cos is the slice of Tencent Cloud Object Storage (COS) the IM SDKs use for message
// files: PUT Object and the multipart upload calls (multipart.go) with a temporary key's q-sign
// signature, and GET Object from a public-read bucket. Each tenant has one bucket (state.App.Bucket); the IM signature service
// (tim im_cos_sign_svr/cos) hands out the keys. A bucket is addressed by its virtual host under
// PathPrefix, so one listener serves every bucket: <PathPrefix><bucket host>/<key>. Errors are
// COS's XML documents with its status codes and Code strings.
package cos

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/imharness/imharness/mockserver/state"
)

// PathPrefix is where buckets are served: PathPrefix + "<bucket>-<appid>.cos.<region>.myqcloud.com/<key>".
const PathPrefix = "/cos/"

// Apps finds the tenant that owns a bucket host.
type Apps interface {
	AppByBucketHost(host string) *state.App
}

// Handler serves the buckets.
type Handler struct{ apps Apps }

// New builds the handler.
func New(apps Apps) *Handler { return &Handler{apps: apps} }

var bucketHost = regexp.MustCompile(`^[a-z0-9-]+-[0-9]+\.cos\.[a-z0-9-]+\.myqcloud\.com$`)

// maxObject caps a request body above any object the state keeps, so that a too-large object
// gets the state's refusal without reading more than this.
const maxObject = 32 << 20

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Expose-Headers", "ETag, x-cos-request-id")
	host, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, PathPrefix), "/")
	host = strings.ToLower(host)
	if !bucketHost.MatchString(host) {
		writeError(w, http.StatusNotFound, "NoSuchBucket", fmt.Sprintf("want %s<bucket>-<appid>.cos.<region>.myqcloud.com/<key>, got %s", PathPrefix, r.URL.Path))
		return
	}
	app := h.apps.AppByBucketHost(host)
	if app == nil {
		writeError(w, http.StatusNotFound, "NoSuchBucket", "no tenant owns the bucket "+host)
		return
	}
	query := r.URL.Query()
	_, uploads := query["uploads"]
	uploadID, hasUploadID := query["uploadId"]
	switch {
	case r.Method == http.MethodOptions: // a browser's preflight
		w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, PUT, POST, DELETE")
		w.Header().Set("Access-Control-Allow-Headers", "*")
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodGet && uploads:
		h.listUploads(w, r, app, host)
	case r.Method == http.MethodGet && hasUploadID:
		h.listParts(w, r, app, host, key, uploadID[0])
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		o, err := app.StoredObject(key)
		if err != nil {
			writeStateError(w, err)
			return
		}
		b, ctype := o.Data, o.ContentType
		if ctype == "" {
			ctype = http.DetectContentType(b)
		}
		if o.ETag != "" {
			w.Header().Set("ETag", strconv.Quote(o.ETag))
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		if r.Method == http.MethodGet {
			_, _ = w.Write(b)
		}
	case r.Method == http.MethodPut && hasUploadID:
		h.uploadPart(w, r, app, host, key, uploadID[0])
	case r.Method == http.MethodPut:
		h.put(w, r, app, host, key)
	case r.Method == http.MethodPost && uploads:
		h.initiate(w, r, app, host, key)
	case r.Method == http.MethodPost && hasUploadID:
		h.complete(w, r, app, host, key, uploadID[0])
	case r.Method == http.MethodDelete && hasUploadID:
		h.abort(w, r, app, host, key, uploadID[0])
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, POST, DELETE, OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" "+r.URL.RequestURI()+" is not served here (served: GET/HEAD/PUT Object, the multipart upload calls)")
	}
}

func (h *Handler) put(w http.ResponseWriter, r *http.Request, app *state.App, host, key string) {
	// A presigned URL carries the signature (q-*) and the token in its query; any other query
	// parameter is a sub-resource (ACLs, tagging…), which is not implemented.
	for k := range r.URL.Query() {
		if !strings.HasPrefix(k, "q-") && k != "x-cos-security-token" {
			writeError(w, http.StatusNotImplemented, "NotImplemented", "PUT with the sub-resource or parameter "+k+" is not implemented: "+r.URL.RawQuery)
			return
		}
	}
	sr, ok := authorization(w, r, host, key)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if err := app.PutObject(sr, key, r.Header.Get("Content-Type"), body); err != nil {
		writeStateError(w, err)
		return
	}
	w.Header().Set("ETag", fmt.Sprintf("%q", etag(body)))
	w.WriteHeader(http.StatusOK)
}

// authorization reads the request's signature (its Authorization header, or a presigned URL's
// query) and answers COS's error when there is none or it is malformed.
func authorization(w http.ResponseWriter, r *http.Request, host, key string) (state.SignedRequest, bool) {
	query := r.URL.Query()
	auth, token := r.Header.Get("Authorization"), r.Header.Get("x-cos-security-token")
	if auth == "" && query.Get("q-signature") != "" {
		var parts []string
		for _, k := range []string{"q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", "q-header-list", "q-url-param-list", "q-signature"} {
			parts = append(parts, k+"="+query.Get(k))
		}
		auth, token = strings.Join(parts, "&"), query.Get("x-cos-security-token")
	}
	if auth == "" {
		writeError(w, http.StatusForbidden, "AccessDenied", "this request needs an Authorization header or a presigned URL")
		return state.SignedRequest{}, false
	}
	sr, err := signedRequest(auth, token, r, host, key)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidArgument", err.Error())
		return state.SignedRequest{}, false
	}
	return sr, true
}

// readBody reads a request body up to maxObject bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxObject))
	if err != nil {
		writeError(w, http.StatusBadRequest, "EntityTooLarge", fmt.Sprintf("body over %d bytes", maxObject))
		return nil, false
	}
	return body, true
}

// signedRequest reads an Authorization value (or a presigned URL's query, rebuilt as one) (q-sign-algorithm=sha1&q-ak=…&q-sign-time=…&
// q-key-time=…&q-header-list=…&q-url-param-list=…&q-signature=…) and rebuilds the format string
// the client signed from the request itself.
func signedRequest(auth, token string, r *http.Request, host, key string) (state.SignedRequest, error) {
	f := map[string]string{}
	for _, kv := range strings.Split(auth, "&") {
		k, v, _ := strings.Cut(kv, "=")
		f[k] = v
	}
	if f["q-sign-algorithm"] != "sha1" || f["q-ak"] == "" || f["q-signature"] == "" || f["q-key-time"] == "" {
		return state.SignedRequest{}, errors.New("Authorization is not a q-sign-algorithm=sha1 signature with q-ak, q-key-time and q-signature")
	}
	headers := map[string]string{}
	for _, name := range list(f["q-header-list"]) {
		if name == "host" {
			headers[name] = host // the bucket's own host, before the client was routed here
		} else {
			headers[name] = r.Header.Get(name)
		}
	}
	// The list names parameters in lower case (partnumber, uploadid); the URL keeps their case.
	query := map[string]string{}
	for k, v := range r.URL.Query() {
		query[strings.ToLower(k)] = v[0]
	}
	params := map[string]string{}
	for _, name := range list(f["q-url-param-list"]) {
		params[name] = query[name]
	}
	format := strings.ToLower(r.Method) + "\n/" + key + "\n" + pairs(params) + "\n" + pairs(headers) + "\n"
	return state.SignedRequest{SecretID: f["q-ak"], KeyTime: f["q-key-time"], SignTime: f["q-sign-time"],
		Signature: f["q-signature"], Token: token, FormatString: format}, nil
}

func list(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.ToLower(s), ";")
}

// pairs formats name=value pairs as the signer does: sorted by name, both percent-encoded.
func pairs(m map[string]string) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, k := range names {
		out[i] = strings.ToLower(escape(k)) + "=" + escape(m[k])
	}
	return strings.Join(out, "&")
}

// escape percent-encodes everything but RFC 3986's unreserved characters (the SDK's
// camSafeUrlEncode).
func escape(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}

// Refusals of the state as COS answers them.
var stateErrors = map[state.Reason]struct {
	status int
	code   string
}{
	state.StorageNoKey:      {http.StatusForbidden, "InvalidAccessKeyId"},
	state.StorageKeyExpired: {http.StatusBadRequest, "ExpiredToken"},
	state.StorageBadToken:   {http.StatusBadRequest, "InvalidToken"},
	state.StorageBadSig:     {http.StatusForbidden, "SignatureDoesNotMatch"},
	state.StorageDenied:     {http.StatusForbidden, "AccessDenied"},
	state.StorageTooLarge:   {http.StatusBadRequest, "EntityTooLarge"},
	state.StorageNoSuchKey:  {http.StatusNotFound, "NoSuchKey"},
	// multipart uploads
	state.StorageNoSuchUpload:     {http.StatusNotFound, "NoSuchUpload"},
	state.StorageBadPart:          {http.StatusBadRequest, "InvalidPart"},
	state.StorageBadPartOrder:     {http.StatusBadRequest, "InvalidPartOrder"},
	state.StoragePartTooSmall:     {http.StatusBadRequest, "EntityTooSmall"},
	state.StorageBadArgument:      {http.StatusBadRequest, "InvalidArgument"},
	state.StorageOverLimit:        {http.StatusBadRequest, "EntityTooLarge"},
	state.StorageTooManyMultipart: {http.StatusBadRequest, "InvalidRequest"},
}

func writeStateError(w http.ResponseWriter, err error) {
	var se *state.Error
	if errors.As(err, &se) {
		if e, ok := stateErrors[se.Reason]; ok {
			writeError(w, e.status, e.code, se.Info)
			return
		}
	}
	writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
}

type xmlError struct {
	XMLName xml.Name `xml:"Error"`
	Code    string
	Message string
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(xmlError{Code: code, Message: msg})
}

// etag is a simple upload's ETag: the MD5 of its bytes, in hex.
func etag(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}
