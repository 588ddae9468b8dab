package tim

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // image sizes of uploaded GIFs
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"strconv"
	"strings"

	"github.com/imharness/imharness/mockserver/state"
)

// Uploads of webim.js 1.x (openpic/pic_up on pic.tim.qq.com): the file arrives in base64 slices;
// the last one stores it and the reply carries its download URLs, which this server serves under
// FilesPath. apply_download answers the download URL of a stored file by UUID.

func openpicRoutes(r routes) error {
	return errors.Join(
		r.add(authSession, map[string]func(*Call) (any, *Error){
			"openpic/pic_up":         bind(openimBody, picUp),
			"openpic/pic_up_test":    bind(openimBody, picUp), // the test environment's name (isAccessFormalEnv false)
			"openpic/apply_download": bind(openimBody, applyDownload),
		}),
	)
}

// FilesPath is where uploaded files are served: FilesPath<sdkappid>/<uuid>.
const FilesPath = "/openpic/files/"

// Upload PkgFlag values: webim.js sends base64 slices (1); raw bytes (0) are not JSON-safe.
const pkgFlagBase64 = 1

// Picture kinds of URL_INFO (PIC_TYPE): original, thumbnail, large.
const (
	picOriginal = 1
	picThumb    = 2
	picLarge    = 4
)

func (c *Call) fileURL(uuid string) string {
	host := ""
	if c.HTTP != nil {
		host = c.HTTP.Host // the Host the request came to
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("http://%s%s%d/%s", host, FilesPath, c.App.ID(), uuid)
}

type picUpReq struct {
	From_Account string
	To_Account   string
	Seq          uint64
	Random       uint64
	File_Str_Md5 string
	File_Size    int
	File_Type    int
	PkgFlag      int
	Slice_Offset int
	Slice_Size   int
	Slice_Data   string
}

func picUp(c *Call, req *picUpReq) (any, error) {
	if e := c.self(req.From_Account); e != nil {
		return nil, e
	}
	if req.PkgFlag != pkgFlagBase64 {
		return nil, fail(CodeInvalidPacket, "PkgFlag %d: this server takes base64 slices (PkgFlag 1)", req.PkgFlag)
	}
	data, err := base64.StdEncoding.DecodeString(req.Slice_Data)
	if err != nil {
		return nil, fail(CodeInvalidPacket, "Slice_Data is not base64: %v", err)
	}
	if req.Slice_Size != 0 && req.Slice_Size != len(data) {
		return nil, fail(CodeInvalidPacket, "Slice_Size %d but Slice_Data holds %d bytes", req.Slice_Size, len(data))
	}
	res, serr := c.App.PutSlice(state.UploadKey{User: c.Session.User, Seq: req.Seq, Random: req.Random},
		req.File_Size, req.Slice_Offset, data, strings.ToLower(req.File_Str_Md5))
	if serr != nil {
		return nil, serr
	}
	if !res.Finished {
		return map[string]any{"IsFinish": 0, "Next_Offset": res.Next}, nil
	}
	url := c.fileURL(res.UUID)
	reply := map[string]any{"IsFinish": 1, "Next_Offset": res.Next, "File_UUID": res.UUID, "Download_Flag": 2}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(res.Data)); err == nil {
		info := make([]map[string]any, 0, 3)
		for _, t := range []int{picOriginal, picThumb, picLarge} {
			info = append(info, map[string]any{"PIC_TYPE": t, "DownUrl": url, "PIC_Size": len(res.Data),
				"PIC_Width": cfg.Width, "PIC_Height": cfg.Height})
		}
		reply["URL_INFO"] = info
	} else {
		reply["URL_INFO"] = url // not a picture: a file's one URL
	}
	return reply, nil
}

type applyDownloadReq struct {
	Request_info []struct{ Uuid string } `json:"request_info"`
}

func applyDownload(c *Call, req *applyDownloadReq) (any, error) {
	if len(req.Request_info) == 0 || req.Request_info[0].Uuid == "" {
		return nil, fail(CodeMissingField, "request_info[0].uuid is missing")
	}
	uuid := req.Request_info[0].Uuid
	if _, ok := c.App.File(uuid); !ok {
		return nil, fail(CodeInvalidPacket, "no uploaded file %q", uuid)
	}
	// webim.js reads error_code and response_info.url (not the envelope).
	return map[string]any{"error_code": 0, "response_info": map[string]any{"url": c.fileURL(uuid)}}, nil
}

// Files serves uploaded files: GET FilesPath<sdkappid>/<uuid>.
func (h *Handler) Files() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		app, uuid, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, FilesPath), "/")
		id, err := strconv.ParseInt(app, 10, 64)
		if !ok || err != nil || strings.Contains(uuid, "/") {
			http.Error(w, "want "+FilesPath+"<sdkappid>/<uuid>", http.StatusNotFound)
			return
		}
		a := h.apps.App(id)
		if a == nil {
			http.Error(w, "no such tenant", http.StatusNotFound)
			return
		}
		b, found := a.File(uuid)
		if !found {
			http.Error(w, "no such file", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", http.DetectContentType(b))
		_, _ = w.Write(b)
	})
}
