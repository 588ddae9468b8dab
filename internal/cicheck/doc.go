// Package cicheck has no code: its tests check the CI script (.ci/run) itself.
package cicheck
