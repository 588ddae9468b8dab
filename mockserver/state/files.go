package state

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
)

// Uploaded files: a client uploads a file in slices; once complete it is stored under a UUID
// derived from its content, and anyone may download it by that UUID.

// Upload errors (Tencent's openpic numbering is not public; these are the fake's, in the
// invalid-packet range the SDKs show as is).
const maxUploadBytes = 20 << 20

type upload struct {
	size int
	data []byte
}

type files struct {
	partial map[string]*upload          // by the client's upload key
	done    map[string][]byte           // by UUID (openpic) or object id (storage.go)
	types   map[string]string           // Content-Type of stored objects, by object id
	etags   map[string]string           // ETag of stored objects, by object id (storage.go)
	creds   map[string]UploadCredential // temporary storage keys, by SecretID (storage.go)
	// multipart uploads in progress, by upload id (multipart.go); their bytes count in pending
	multipart map[string]*multipartUpload
	order     []string // finished UUIDs, oldest first (eviction order, Limits.MaxUploadBytes)
	stored    int      // bytes in done
	pending   int      // bytes in partial and in multipart uploads
}

// UploadKey identifies one upload in progress: the client names it by its sequence and random.
type UploadKey struct {
	User   string
	Seq    uint64
	Random uint64
}

// SliceResult is where an upload stands after a slice.
type SliceResult struct {
	Next     int    // the offset of the next slice (the bytes stored so far)
	Finished bool   // the whole file arrived
	UUID     string // set when Finished
	Data     []byte // the whole file, when Finished
}

// PutSlice stores one slice of a file of size bytes. Slices must come in order; md5, when not
// empty, must match the finished file.
func (a *App) PutSlice(k UploadKey, size, offset int, data []byte, md5hex string) (SliceResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if size <= 0 || size > maxUploadBytes {
		return SliceResult{}, errorf(BadRequest, "File_Size %d: want 1 to %d bytes", size, maxUploadBytes)
	}
	if a.files.partial == nil {
		a.files.partial, a.files.done = map[string]*upload{}, map[string][]byte{}
	}
	key := fmt.Sprintf("%s/%d/%d", k.User, k.Seq, k.Random)
	up := a.files.partial[key]
	if up == nil {
		up = &upload{size: size}
		a.files.partial[key] = up
	}
	if lim := a.limits.MaxUploadBytes; lim > 0 && a.files.pending+len(data) > lim {
		return SliceResult{}, errorf(BadRequest, "uploads in progress would hold %d bytes, past the tenant's upload limit of %d", a.files.pending+len(data), lim)
	}
	if up.size != size {
		return SliceResult{}, errorf(BadRequest, "File_Size %d differs from the upload's first slice (%d)", size, up.size)
	}
	if offset != len(up.data) {
		return SliceResult{}, errorf(BadRequest, "Slice_Offset %d: the next slice starts at %d", offset, len(up.data))
	}
	if len(up.data)+len(data) > size {
		return SliceResult{}, errorf(BadRequest, "slice ends at %d, past File_Size %d", len(up.data)+len(data), size)
	}
	up.data = append(up.data, data...)
	a.files.pending += len(data)
	if len(up.data) < size {
		return SliceResult{Next: len(up.data)}, nil
	}
	delete(a.files.partial, key)
	a.files.pending -= size
	sum := md5.Sum(up.data)
	got := hex.EncodeToString(sum[:])
	if md5hex != "" && md5hex != got {
		return SliceResult{}, errorf(BadRequest, "File_Str_Md5 %s does not match the uploaded bytes (%s)", md5hex, got)
	}
	a.storeFile(got, up.data, "")
	return SliceResult{Next: size, Finished: true, UUID: got, Data: up.data}, nil
}

// storeFile keeps a finished file under id (replacing one stored there) and evicts the oldest
// past the tenant's limit. Lock held.
func (a *App) storeFile(id string, data []byte, contentType string) {
	if a.files.done == nil {
		a.files.partial, a.files.done = map[string]*upload{}, map[string][]byte{}
	}
	if old, ok := a.files.done[id]; ok {
		a.files.stored -= len(old)
	} else {
		a.files.order = append(a.files.order, id)
	}
	a.files.stored += len(data)
	a.files.done[id] = data
	if contentType != "" {
		if a.files.types == nil {
			a.files.types = map[string]string{}
		}
		a.files.types[id] = contentType
	}
	a.evictFiles()
}

// File returns an uploaded file by UUID.
func (a *App) File(uuid string) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.files.done[uuid]
	return b, ok
}

// evictFiles drops the oldest finished files while the tenant stores more than MaxUploadBytes
// (the real service's file storage expires too; a download of an evicted file fails). Lock held.
func (a *App) evictFiles() {
	lim := a.limits.MaxUploadBytes
	for lim > 0 && a.files.stored > lim && len(a.files.order) > 0 {
		u := a.files.order[0]
		a.files.order[0] = ""
		a.files.order = a.files.order[1:]
		a.files.stored -= len(a.files.done[u])
		delete(a.files.done, u)
		delete(a.files.types, u)
		delete(a.files.etags, u)
	}
}
