package state

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Object storage: the tenant's bucket, where clients put message files (images, files, videos)
// with short-lived keys the IM service hands out, and from where anyone reads them back by the
// URL the message carries (the bucket is public-read, as IM's media buckets are). The bytes share
// the tenant's upload store and its limit (files.go).

// Bucket is where a tenant's clients upload: <Name>-<AppID>.cos.<Region>.myqcloud.com, keys
// under Directory/.
type Bucket struct {
	Name      string
	AppID     int64 // the storage account's APPID, part of the bucket's full name
	Region    string
	Directory string
}

// DefaultStorageAppID is the storage APPID of every tenant's bucket; the bucket name tells
// tenants apart.
const DefaultStorageAppID = 1250000000

// DefaultBucketRegion is the region of every tenant's bucket. tim-js-sdk 2.4.x–2.7.x upload to
// ap-shanghai whatever region the signature service names.
const DefaultBucketRegion = "ap-shanghai"

// Host is the bucket's virtual host.
func (b Bucket) Host() string {
	return fmt.Sprintf("%s-%d.cos.%s.myqcloud.com", b.Name, b.AppID, b.Region)
}

// Bucket is the tenant's bucket.
func (a *App) Bucket() Bucket {
	return Bucket{Name: "imharness-" + strconv.FormatInt(a.id, 10), AppID: DefaultStorageAppID,
		Region: DefaultBucketRegion, Directory: strconv.FormatInt(a.id, 10)}
}

// UploadCredential is a temporary key pair for the bucket, issued to one user.
type UploadCredential struct {
	User         string
	SecretID     string
	SecretKey    string
	SessionToken string
	Expires      time.Time
}

// maxCredentials bounds the keys a tenant remembers; past it the soonest to expire go first.
const maxCredentials = 1024

// IssueUploadCredential hands the user a temporary key pair valid for d on the tenant clock.
func (a *App) IssueUploadCredential(user string, d time.Duration) UploadCredential {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	if a.files.creds == nil {
		a.files.creds = map[string]UploadCredential{}
	}
	for id, c := range a.files.creds {
		if !now.Before(c.Expires) {
			delete(a.files.creds, id)
		}
	}
	for len(a.files.creds) >= maxCredentials {
		var first string
		for id, c := range a.files.creds {
			if first == "" || c.Expires.Before(a.files.creds[first].Expires) {
				first = id
			}
		}
		delete(a.files.creds, first)
	}
	c := UploadCredential{User: user, SecretID: "AKID" + randHex(16), SecretKey: randHex(16),
		SessionToken: randHex(24), Expires: now.Add(d).Truncate(time.Second)}
	a.files.creds[c.SecretID] = c
	return c
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Storage refusals (the storage protocol maps them to its own codes).
const (
	StorageNoKey      Reason = "storage-no-key"        // the access key id was never issued (or forgotten)
	StorageKeyExpired Reason = "storage-key-expired"   // the temporary key expired
	StorageBadToken   Reason = "storage-bad-token"     // the session token is not the key's
	StorageBadSig     Reason = "storage-bad-signature" // the request's signature does not match
	StorageDenied     Reason = "storage-denied"        // the key may not write there
	StorageTooLarge   Reason = "storage-too-large"     // the object is larger than one upload may be
	StorageNoSuchKey  Reason = "storage-no-such-key"   // no such object
)

// SignedRequest is what a storage request's signature covers (the COS "q-sign" scheme:
// HMAC-SHA1 over method, path, the listed query parameters and headers).
type SignedRequest struct {
	SecretID  string
	KeyTime   string // "start;end" in Unix seconds
	SignTime  string
	Signature string // hex
	Token     string // the session token sent with the request
	// FormatString is method\npath\nparams\nheaders\n as the signer formatted them (lower-case
	// names, values percent-encoded).
	FormatString string
}

// PutObject stores data under key after checking the request's temporary key and signature.
func (a *App) PutObject(sr SignedRequest, key, contentType string, data []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.authorizeStorage(sr, key); err != nil {
		return err
	}
	if len(data) > maxUploadBytes {
		return errorf(StorageTooLarge, "object of %d bytes: one upload may be up to %d", len(data), maxUploadBytes)
	}
	if lim := a.limits.MaxUploadBytes; lim > 0 && len(data) > lim {
		return errorf(StorageOverLimit, "object of %d bytes: past the tenant's upload limit of %d bytes", len(data), lim)
	}
	sum := md5.Sum(data)
	a.storeObject(key, data, contentType, hex.EncodeToString(sum[:]))
	return nil
}

// Object is a stored object's bytes and type.
func (a *App) Object(key string) ([]byte, string, error) {
	o, err := a.StoredObject(key)
	return o.Data, o.ContentType, err
}

// StoredObject is an object in the bucket.
type StoredObject struct {
	Data        []byte
	ContentType string
	ETag        string // as its upload answered it (no quotes): the MD5, or a multipart upload's form
}

// StoredObject finds an object by key.
func (a *App) StoredObject(key string) (StoredObject, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	id := objectID(key)
	b, ok := a.files.done[id]
	if !ok {
		return StoredObject{}, errorf(StorageNoSuchKey, "no object %q", key)
	}
	return StoredObject{Data: b, ContentType: a.files.types[id], ETag: a.files.etags[id]}, nil
}

// storeObject stores an object with its ETag. Lock held.
func (a *App) storeObject(key string, data []byte, contentType, etag string) {
	id := objectID(key)
	a.storeFile(id, data, contentType)
	if _, kept := a.files.done[id]; kept {
		if a.files.etags == nil {
			a.files.etags = map[string]string{}
		}
		a.files.etags[id] = etag
	}
}

// objectID keeps objects apart from openpic's UUIDs in the shared store.
func objectID(key string) string { return "object:" + key }

// Sign is the COS q-signature of a request's format string with a secret key.
func Sign(secretKey, keyTime, signTime, formatString string) string {
	signKey := hmacHex(secretKey, keyTime)
	sum := sha1.Sum([]byte(formatString))
	return hmacHex(signKey, "sha1\n"+signTime+"\n"+hex.EncodeToString(sum[:])+"\n")
}

func hmacHex(key, msg string) string {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// PresignPut issues a key for user valid for d and returns a presigned PUT URL for key in the
// tenant's bucket (the signature, key id and token in its query, as COS presigned URLs carry
// them) and when it expires. The URL signs no headers, so any body may be put there until then.
func (a *App) PresignPut(user, key string, d time.Duration) (string, time.Time) {
	c := a.IssueUploadCredential(user, d)
	now := a.Now().Unix()
	keyTime := fmt.Sprintf("%d;%d", now-1, c.Expires.Unix())
	sig := Sign(c.SecretKey, keyTime, keyTime, "put\n/"+key+"\n\n\n")
	q := "q-sign-algorithm=sha1&q-ak=" + c.SecretID + "&q-sign-time=" + keyTime + "&q-key-time=" + keyTime +
		"&q-header-list=&q-url-param-list=&q-signature=" + sig + "&x-cos-security-token=" + c.SessionToken
	return "https://" + a.Bucket().Host() + "/" + key + "?" + strings.ReplaceAll(q, ";", "%3B"), c.Expires
}
