package jim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/imharness/imharness/mockserver/state"
)

// Upload paths: the SDK posts files to UploadPath (v2's upload_file option; v1 has it hard-coded
// to the real host) and reads them back from MediaPath.
const (
	UploadPath = "/resource"
	MediaPath  = "/jim/media/"
	maxUpload  = 10 << 20
)

func uploadToken(x *call) (map[string]any, error) {
	return map[string]any{"uptoken": x.app.UploadToken(x.user)}, nil
}

// getResource serves get_resource {media_id}: the URL the bytes are served from.
func getResource(x *call) (map[string]any, error) {
	id := str(x.req, "media_id")
	if _, err := x.app.MediaByID(id); err != nil {
		return nil, errf(CodeFileNotExist, "media %q does not exist", id)
	}
	host := x.c.host
	if host == "" {
		host = "127.0.0.1"
	}
	return map[string]any{"url": "http://" + host + MediaPath + x.key + "/" + url.PathEscape(id)}, nil
}

type uploadError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func uploadFail(w http.ResponseWriter, status, code int, msg string) {
	var e uploadError
	e.Error.Code, e.Error.Message = code, msg
	writeJSON(w, status, e)
}

// Upload serves POST /resource?type=image|file: Basic auth is username:uptoken, X-App-Key names
// the app; the multipart file is stored and described as the SDK expects.
func (a *Adapter) Upload() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions { // browser preflight
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, X-App-Key, jm-channel, Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method != http.MethodPost {
			uploadFail(w, http.StatusMethodNotAllowed, 898000, "POST a multipart file")
			return
		}
		app, _ := a.apps.AppByKey(r.Header.Get("X-App-Key"))
		if app == nil {
			uploadFail(w, http.StatusUnauthorized, 899002, "X-App-Key names no app")
			return
		}
		user, token, ok := basicAuth(r.Header.Get("Authorization"))
		if !ok {
			uploadFail(w, http.StatusUnauthorized, 899003, "Authorization must be Basic base64(username:uptoken)")
			return
		}
		typ := r.URL.Query().Get("type")
		if typ != "image" && typ != "file" && typ != "voice" {
			uploadFail(w, http.StatusBadRequest, 898000, "type must be image, file or voice")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
		if err := r.ParseMultipartForm(maxUpload); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				uploadFail(w, http.StatusRequestEntityTooLarge, 898061, "file too large")
				return
			}
			uploadFail(w, http.StatusBadRequest, 898000, "body must be multipart/form-data with a file")
			return
		}
		var data []byte
		var name, ctype string
		for _, fhs := range r.MultipartForm.File {
			if len(fhs) == 0 {
				continue
			}
			f, err := fhs[0].Open()
			if err != nil {
				continue
			}
			data, _ = io.ReadAll(f)
			_ = f.Close()
			name, ctype = fhs[0].Filename, fhs[0].Header.Get("Content-Type")
			break
		}
		if data == nil {
			uploadFail(w, http.StatusBadRequest, 898000, "no file in the form")
			return
		}
		m, err := app.PutMedia(user, token, state.Media{Type: typ, Name: name, CType: ctype, Data: data})
		if err != nil {
			uploadFail(w, http.StatusUnauthorized, 899003, "the uptoken was not handed to this user (get_upload_token)")
			return
		}
		format := ""
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			format = name[i+1:]
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"media_id": m.ID, "media_crc32": crc32.ChecksumIEEE(data), "fsize": len(data), "format": format,
			"fname": name, "hash": m.ID, "width": 0, "height": 0,
		})
	})
}

// Media serves GET /jim/media/<appkey>/<media_id>: the uploaded bytes.
func (a *Adapter) Media() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, MediaPath)
		key, id, _ := strings.Cut(rest, "/")
		app, _ := a.apps.AppByKey(key)
		if app == nil {
			http.NotFound(w, r)
			return
		}
		m, err := app.MediaByID(id)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if m.CType != "" {
			w.Header().Set("Content-Type", m.CType)
		}
		_, _ = w.Write(m.Data)
	})
}

func basicAuth(h string) (user, token string, ok bool) {
	enc, found := strings.CutPrefix(h, "Basic ")
	if !found {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(b), ":")
}
