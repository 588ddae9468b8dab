package cos

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/imharness/imharness/mockserver/state"
)

// The multipart upload calls cos-js-sdk-v5 makes for a file of 1 MiB or more (sliceUploadFile):
// ListMultipartUploads (GET /?uploads&prefix=<key>, to resume an earlier upload of the key),
// InitiateMultipartUpload (POST <key>?uploads), UploadPart (PUT <key>?partNumber=&uploadId=,
// several at once), CompleteMultipartUpload (POST <key>?uploadId=, the part list as XML); and
// ListParts (GET <key>?uploadId=) and AbortMultipartUpload (DELETE <key>?uploadId=), which it
// uses to resume or drop one. Each is signed like a PUT; the state keeps the parts.

type owner struct {
	ID          string
	DisplayName string
}

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Bucket   string
	Key      string
	UploadID string `xml:"UploadId"`
}

type listUploadsResult struct {
	XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
	Bucket             string
	EncodingType       string `xml:"Encoding-Type,omitempty"`
	KeyMarker          string
	UploadIDMarker     string `xml:"UploadIdMarker"`
	NextKeyMarker      string
	NextUploadIDMarker string `xml:"NextUploadIdMarker"`
	MaxUploads         int
	IsTruncated        bool
	Prefix             string
	Upload             []uploadEntry
}

type uploadEntry struct {
	Key          string
	UploadID     string `xml:"UploadId"`
	StorageClass string
	Initiator    owner
	Owner        owner
	Initiated    string
}

type listPartsResult struct {
	XMLName              xml.Name `xml:"ListPartsResult"`
	Bucket               string
	Key                  string
	UploadID             string `xml:"UploadId"`
	Initiator            owner
	Owner                owner
	StorageClass         string
	PartNumberMarker     int
	NextPartNumberMarker int
	MaxParts             int
	IsTruncated          bool
	Part                 []partEntry
}

type partEntry struct {
	PartNumber   int
	LastModified string
	ETag         string
	Size         int
}

type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Part    []struct {
		PartNumber int
		ETag       string
	}
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Location string
	Bucket   string
	Key      string
	ETag     string
}

// listMax is the most entries one listing answers (COS's default and maximum).
const listMax = 1000

// bucketName is "<bucket>-<appid>", the host's first label.
func bucketName(host string) string { return strings.SplitN(host, ".", 2)[0] }

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (h *Handler) initiate(w http.ResponseWriter, r *http.Request, app *state.App, host, key string) {
	sr, ok := authorization(w, r, host, key)
	if !ok {
		return
	}
	id, err := app.InitiateMultipart(sr, key, r.Header.Get("Content-Type"))
	if err != nil {
		writeStateError(w, err)
		return
	}
	writeXML(w, initiateResult{Bucket: bucketName(host), Key: key, UploadID: id})
}

func (h *Handler) uploadPart(w http.ResponseWriter, r *http.Request, app *state.App, host, key, id string) {
	n, err := strconv.Atoi(r.URL.Query().Get("partNumber"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("partNumber %q: want a number from 1 to %d", r.URL.Query().Get("partNumber"), state.MaxPartNumber))
		return
	}
	sr, ok := authorization(w, r, host, key)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	tag, err := app.UploadPart(sr, key, id, n, body)
	if err != nil {
		writeStateError(w, err)
		return
	}
	w.Header().Set("ETag", strconv.Quote(tag))
	w.WriteHeader(http.StatusOK)
}

func (h *Handler) complete(w http.ResponseWriter, r *http.Request, app *state.App, host, key, id string) {
	sr, ok := authorization(w, r, host, key)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if want := r.Header.Get("Content-MD5"); want != "" {
		sum := md5.Sum(body)
		if got := base64.StdEncoding.EncodeToString(sum[:]); got != want {
			writeError(w, http.StatusBadRequest, "BadDigest", "Content-MD5 "+want+" is not the body's MD5 ("+got+")")
			return
		}
	}
	var req completeRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "MalformedXML", "the body is not a CompleteMultipartUpload document: "+err.Error())
		return
	}
	parts := make([]state.CompletedPart, len(req.Part))
	for i, p := range req.Part {
		parts[i] = state.CompletedPart{Number: p.PartNumber, ETag: p.ETag}
	}
	tag, err := app.CompleteMultipart(sr, key, id, parts)
	if err != nil {
		writeStateError(w, err)
		return
	}
	writeXML(w, completeResult{Location: host + "/" + key, Bucket: bucketName(host), Key: key, ETag: strconv.Quote(tag)})
}

func (h *Handler) abort(w http.ResponseWriter, r *http.Request, app *state.App, host, key, id string) {
	sr, ok := authorization(w, r, host, key)
	if !ok {
		return
	}
	if err := app.AbortMultipart(sr, key, id); err != nil {
		writeStateError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) listUploads(w http.ResponseWriter, r *http.Request, app *state.App, host string) {
	sr, ok := authorization(w, r, host, "")
	if !ok {
		return
	}
	prefix := r.URL.Query().Get("prefix")
	ups, err := app.ListMultipartUploads(sr, prefix)
	if err != nil {
		writeStateError(w, err)
		return
	}
	res := listUploadsResult{Bucket: bucketName(host), MaxUploads: listMax, Prefix: prefix,
		EncodingType: r.URL.Query().Get("encoding-type")}
	for _, u := range ups { // never more than listMax: the state keeps no more (state.MaxMultipartUploads)
		who := owner{ID: u.User, DisplayName: u.User}
		res.Upload = append(res.Upload, uploadEntry{Key: u.Key, UploadID: u.ID, StorageClass: "STANDARD",
			Initiator: who, Owner: who, Initiated: isoTime(u.Initiated)})
	}
	writeXML(w, res)
}

func (h *Handler) listParts(w http.ResponseWriter, r *http.Request, app *state.App, host, key, id string) {
	q := r.URL.Query()
	marker, max := 0, listMax
	for name, v := range map[string]*int{"part-number-marker": &marker, "max-parts": &max} {
		if s := q.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || (name == "max-parts" && (n < 1 || n > listMax)) {
				writeError(w, http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("%s %q: want a number (max-parts 1 to %d)", name, s, listMax))
				return
			}
			*v = n
		}
	}
	sr, ok := authorization(w, r, host, key)
	if !ok {
		return
	}
	parts, more, err := app.ListParts(sr, key, id, marker, max)
	if err != nil {
		writeStateError(w, err)
		return
	}
	res := listPartsResult{Bucket: bucketName(host), Key: key, UploadID: id, StorageClass: "STANDARD",
		PartNumberMarker: marker, MaxParts: max, IsTruncated: more}
	for _, p := range parts {
		res.Part = append(res.Part, partEntry{PartNumber: p.Number, LastModified: isoTime(p.LastModified), ETag: strconv.Quote(p.ETag), Size: p.Size})
		res.NextPartNumberMarker = p.Number
	}
	writeXML(w, res)
}

func writeXML(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(v)
}
