// Package cgoz is a fixture for the escape parser: cgo makes the compiler report
// positions in generated files.
package cgoz

// static int twice(int x) { return 2 * x; }
import "C"

// Twice calls C and boxes the result.
func Twice(x int) any {
	return int(C.twice(C.int(x)))
}
