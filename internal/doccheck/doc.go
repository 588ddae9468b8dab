// Package doccheck has no code: its tests hold the README to the source, so the README cannot
// claim (or leave out) what the code does.
package doccheck
