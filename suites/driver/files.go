package driver

import "encoding/base64"

// File is a command argument the Node side turns into a File (name, MIME type, bytes), the
// payload.file the SDK's createImageMessage/createFileMessage/createVideoMessage take in a
// browser. seconds, when above 0, becomes the File's duration (createVideoMessage reads it).
func File(name, mimeType string, data []byte, seconds ...float64) map[string]any {
	f := map[string]any{"name": name, "type": mimeType, "base64": base64.StdEncoding.EncodeToString(data)}
	if len(seconds) > 0 && seconds[0] > 0 {
		f["duration"] = seconds[0]
	}
	return map[string]any{"$file": f}
}

// Plugin is a command argument the Node side turns into an npm upload plugin's export, for
// tim.registerPlugin (e.g. "cos-js-sdk-v5").
func Plugin(pkg string) map[string]any { return map[string]any{"$plugin": pkg} }
