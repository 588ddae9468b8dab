package webim

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"github.com/imharness/imharness/suites/driver"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strconv"

	. "github.com/onsi/gomega"
)

func tinyPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 12, 7))
	img.Set(3, 3, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	Expect(png.Encode(&b, img)).To(Succeed())
	return b.Bytes()
}

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
func b64(b []byte) string    { return base64.StdEncoding.EncodeToString(b) }

func fetch(url string) []byte {
	resp, err := http.Get(url)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(200))
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return b
}

func itoa(n int) string { return strconv.Itoa(n) }

func sdkErr(err error) *driver.SDKError {
	var se *driver.SDKError
	Expect(errors.As(err, &se)).To(BeTrue(), "not an SDK error: %v", err)
	return se
}
