package state

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Multipart uploads: a client too big for one PUT (cos-js-sdk-v5 from 1 MiB) initiates an upload,
// puts numbered parts (in any order, in parallel, a part may be put again), and completes it
// with the list of parts and their ETags, which joins them into one object. Parts in progress
// count as the tenant's pending upload bytes (files.go), so they share its upload limit; a
// refused request leaves the upload as it was, so the client may retry.

// Multipart refusals (the storage protocol maps them to its own codes).
const (
	StorageNoSuchUpload     Reason = "storage-no-such-upload"     // the upload id names no upload of that key
	StorageBadPart          Reason = "storage-bad-part"           // a listed part was not uploaded, or its ETag differs
	StorageBadPartOrder     Reason = "storage-bad-part-order"     // the listed parts are not in ascending order
	StoragePartTooSmall     Reason = "storage-part-too-small"     // a part other than the last is under the minimum
	StorageBadArgument      Reason = "storage-bad-argument"       // a part number or list out of range
	StorageOverLimit        Reason = "storage-over-limit"         // the tenant's upload limit would be passed
	StorageTooManyMultipart Reason = "storage-too-many-multipart" // too many uploads in progress
)

const (
	// MinPartSize is the smallest part but the last one of a completed upload (COS: 1 MB).
	MinPartSize = 1 << 20
	// MaxPartNumber is the highest part number (COS: 10000).
	MaxPartNumber = 10000
	// MaxMultipartUploads bounds a tenant's uploads in progress, so that a listing always fits
	// one page (COS lists up to 1000).
	MaxMultipartUploads = 1000
)

type multipartUpload struct {
	id, key, contentType, user string
	initiated                  time.Time
	parts                      map[int]Part
	data                       map[int][]byte
	bytes                      int
}

// Part is one uploaded part of a multipart upload.
type Part struct {
	Number       int
	ETag         string // hex MD5 of the part's bytes, no quotes
	Size         int
	LastModified time.Time
}

// MultipartUpload describes an upload in progress.
type MultipartUpload struct {
	ID, Key, User string
	Initiated     time.Time
}

// authorizeStorage checks a storage request's temporary key and signature, and that the key may
// reach resource (an object key, or a listing's prefix). Lock held.
func (a *App) authorizeStorage(sr SignedRequest, resource string) (UploadCredential, error) {
	c, ok := a.files.creds[sr.SecretID]
	switch {
	case !ok:
		return c, errorf(StorageNoKey, "access key %q was not issued by this tenant", sr.SecretID)
	case !a.clock.Now().Before(c.Expires):
		return c, errorf(StorageKeyExpired, "access key %q expired at %s", sr.SecretID, c.Expires.UTC().Format(time.RFC3339))
	case sr.Token != c.SessionToken:
		return c, errorf(StorageBadToken, "x-cos-security-token is not the session token of key %q", sr.SecretID)
	}
	if want := Sign(c.SecretKey, sr.KeyTime, sr.SignTime, sr.FormatString); !hmac.Equal([]byte(want), []byte(strings.ToLower(sr.Signature))) {
		return c, errorf(StorageBadSig, "q-signature does not match the request")
	}
	if dir := a.Bucket().Directory + "/"; !strings.HasPrefix(resource, dir) {
		return c, errorf(StorageDenied, "key %q is outside the directory %q this key may reach", resource, dir)
	}
	return c, nil
}

// InitiateMultipart starts an upload to key and returns its id.
func (a *App) InitiateMultipart(sr SignedRequest, key, contentType string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.authorizeStorage(sr, key)
	if err != nil {
		return "", err
	}
	if len(a.files.multipart) >= MaxMultipartUploads {
		return "", errorf(StorageTooManyMultipart, "the tenant has %d multipart uploads in progress, the most it keeps: complete or abort one first", len(a.files.multipart))
	}
	if a.files.multipart == nil {
		a.files.multipart = map[string]*multipartUpload{}
	}
	u := &multipartUpload{id: randHex(16), key: key, contentType: contentType, user: c.User,
		initiated: a.clock.Now(), parts: map[int]Part{}, data: map[int][]byte{}}
	a.files.multipart[u.id] = u
	return u.id, nil
}

// upload checks the signed request for key, as every storage call does, and finds key's upload
// by id. Lock held.
func (a *App) upload(sr SignedRequest, key, id string) (*multipartUpload, error) {
	if _, err := a.authorizeStorage(sr, key); err != nil {
		return nil, err
	}
	u := a.files.multipart[id]
	if u == nil || u.key != key {
		return nil, errorf(StorageNoSuchUpload, "no multipart upload %q of key %q in progress (never initiated, completed or aborted)", id, key)
	}
	return u, nil
}

// UploadPart stores part number n of an upload and returns its ETag (hex MD5). Putting a part
// number again replaces that part.
func (a *App) UploadPart(sr SignedRequest, key, id string, n int, data []byte) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.upload(sr, key, id)
	if err != nil {
		return "", err
	}
	if n < 1 || n > MaxPartNumber {
		return "", errorf(StorageBadArgument, "partNumber %d: want 1 to %d", n, MaxPartNumber)
	}
	grow := len(data) - len(u.data[n])
	if u.bytes+grow > maxUploadBytes {
		return "", errorf(StorageTooLarge, "the upload would hold %d bytes: one object may be up to %d", u.bytes+grow, maxUploadBytes)
	}
	if lim := a.limits.MaxUploadBytes; lim > 0 && a.files.pending+grow > lim {
		return "", errorf(StorageOverLimit, "uploads in progress would hold %d bytes, past the tenant's upload limit of %d bytes", a.files.pending+grow, lim)
	}
	sum := md5.Sum(data)
	p := Part{Number: n, ETag: hex.EncodeToString(sum[:]), Size: len(data), LastModified: a.clock.Now()}
	u.parts[n], u.data[n] = p, data
	u.bytes += grow
	a.files.pending += grow
	return p.ETag, nil
}

// CompletedPart is one entry of a client's completion list.
type CompletedPart struct {
	Number int
	ETag   string // with or without quotes
}

// CompleteMultipart joins the listed parts, in ascending part order, into the object key and
// ends the upload; it returns the object's ETag (the MD5 of the parts' MD5s, "-" and their
// count, as COS and S3 name a multipart object). Parts not listed are dropped. A refused
// completion leaves the upload in progress.
func (a *App) CompleteMultipart(sr SignedRequest, key, id string, list []CompletedPart) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.upload(sr, key, id)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", errorf(StorageBadArgument, "the completion lists no part")
	}
	sums := md5.New()
	size := 0
	for i, c := range list {
		if i > 0 && c.Number <= list[i-1].Number {
			return "", errorf(StorageBadPartOrder, "part %d is listed after part %d: the list must be in ascending part order", c.Number, list[i-1].Number)
		}
		p, ok := u.parts[c.Number]
		if !ok {
			return "", errorf(StorageBadPart, "part %d was not uploaded", c.Number)
		}
		if got := strings.ToLower(strings.Trim(c.ETag, `"`)); got != p.ETag {
			return "", errorf(StorageBadPart, "part %d: ETag %q is not the uploaded part's %q", c.Number, c.ETag, p.ETag)
		}
		b, _ := hex.DecodeString(p.ETag)
		sums.Write(b)
		size += p.Size
	}
	for _, c := range list[:len(list)-1] {
		if p := u.parts[c.Number]; p.Size < MinPartSize {
			return "", errorf(StoragePartTooSmall, "part %d has %d bytes: every part but the last needs at least %d", c.Number, p.Size, MinPartSize)
		}
	}
	data := make([]byte, 0, size)
	for _, c := range list {
		data = append(data, u.data[c.Number]...)
	}
	delete(a.files.multipart, id)
	a.files.pending -= u.bytes
	tag := fmt.Sprintf("%s-%d", hex.EncodeToString(sums.Sum(nil)), len(list))
	a.storeObject(key, data, u.contentType, tag)
	return tag, nil
}

// AbortMultipart ends an upload and drops its parts.
func (a *App) AbortMultipart(sr SignedRequest, key, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.upload(sr, key, id)
	if err != nil {
		return err
	}
	delete(a.files.multipart, id)
	a.files.pending -= u.bytes
	return nil
}

// ListMultipartUploads lists the uploads in progress whose key starts with prefix, by key, then
// by initiation.
func (a *App) ListMultipartUploads(sr SignedRequest, prefix string) ([]MultipartUpload, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.authorizeStorage(sr, prefix); err != nil {
		return nil, err
	}
	var out []MultipartUpload
	for _, u := range a.files.multipart {
		if strings.HasPrefix(u.key, prefix) {
			out = append(out, MultipartUpload{ID: u.id, Key: u.key, User: u.user, Initiated: u.initiated})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		if !out[i].Initiated.Equal(out[j].Initiated) {
			return out[i].Initiated.Before(out[j].Initiated)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// ListParts lists an upload's parts numbered above marker, at most max of them, in part order,
// and whether more follow.
func (a *App) ListParts(sr SignedRequest, key, id string, marker, max int) ([]Part, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.upload(sr, key, id)
	if err != nil {
		return nil, false, err
	}
	var out []Part
	for n, p := range u.parts {
		if n > marker {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	if max > 0 && len(out) > max {
		return out[:max], true, nil
	}
	return out, false, nil
}

// MultipartUploadsInProgress counts the uploads in progress whose key starts with prefix.
func (a *App) MultipartUploadsInProgress(prefix string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, u := range a.files.multipart {
		if strings.HasPrefix(u.key, prefix) {
			n++
		}
	}
	return n
}
