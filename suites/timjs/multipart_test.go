package timjs

import (
	"math/rand/v2"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/suites/harness"
)

// Large files: the SDK hands every file to the COS plugin's uploadFiles with SliceSize 1 MiB, so
// a file of 1 MiB or more goes up as a COS multipart upload (cos-js-sdk-v5's sliceUploadFile:
// list the key's unfinished uploads, initiate, put 1 MiB parts, complete with their ETags)
// instead of one PUT.

var _ = Describe("rich messages: files of 1 MiB or more (COS multipart upload)", func() {
	It("createFileMessage of a 2.5 MiB file: the plugin uploads it in three parts; the receiver gets its size and a URL serving the same bytes", harness.Case("tim/msg/file-multipart"), func() {
		t := env.NewTenant()
		alice, bob := loginWithUploads(t, "alice"), t.Login("bob")
		// Bytes that differ part to part, so parts joined in the wrong order would not match.
		doc := make([]byte, 5<<19+123)
		rnd := rand.New(rand.NewPCG(10, 10))
		for i := range doc {
			doc[i] = byte(rnd.Uint32())
		}
		url := sendFile(t, alice, bob, "dataset.bin", "application/octet-stream", doc)
		// A multipart object's ETag is COS's "<md5 of the parts' MD5s>-<parts>": three 1 MiB slices.
		Expect(objectETag(t, url)).To(HaveSuffix(`-3"`), "the object was not completed from three parts")
		// Nothing is left in progress.
		b := t.App.Bucket()
		Expect(t.App.MultipartUploadsInProgress(b.Directory + "/")).To(BeZero())
	})
})

// objectETag HEADs a message's file URL (objectURL) and answers
// its ETag header.
func objectETag(t *harness.Tenant, raw string) string {
	GinkgoHelper()
	res, err := http.Head(objectURL(t, raw))
	Expect(err).NotTo(HaveOccurred())
	res.Body.Close()
	Expect(res.StatusCode).To(Equal(http.StatusOK), "HEAD %s", raw)
	return strings.TrimSpace(res.Header.Get("ETag"))
}
