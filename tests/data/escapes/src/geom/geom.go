// Package geom is a fixture for the escape parser: each function below makes the Go
// compiler print one kind of escape message. Keep line numbers stable (tests pin them).
package geom

import (
	"fmt"
	"strings"
)

type Point struct{ X, Y int }

// Origin is a package-level initialiser with a closure.
var Origin = func() *Point { return &Point{} }()

// NewPoint returns a pointer: the composite literal escapes.
func NewPoint(x, y int) *Point {
	p := Point{X: x, Y: y}
	return &p
}

// Add has a pointer receiver and leaks it to its result.
func (p *Point) Add(q Point) *Point {
	p.X += q.X
	p.Y += q.Y
	return p
}

// Describe converts to an interface.
func Describe(v int) string {
	return fmt.Sprint(v)
}

// Counter captures a variable in a closure.
func Counter() func() int {
	n := 0
	return func() int {
		n++
		return n
	}
}

// Spawn starts a goroutine with a closure.
func Spawn(ch chan<- int, v int) {
	go func() {
		ch <- v * 2
	}()
}

// Joined passes variadic arguments.
func Joined(a, b string) string {
	return strings.Join([]string{a, b}, ",") + fmt.Sprintln(a, b)
}

// Buffer makes a slice of unknown size.
func Buffer(n int) []byte {
	return make([]byte, n)
}

// Grow appends.
func Grow(xs []int, v int) []int {
	out := xs[:0:0]
	for i := 0; i < v; i++ {
		out = append(out, i)
	}
	return out
}

// Bound takes a method value.
func Bound(p *Point) func(Point) *Point {
	return p.Add
}

// Concat concatenates and converts strings.
func Concat(b []byte, s string) string {
	t := s + string(b)
	sink = t
	return t
}

var sink any

// Keep leaks its parameter to the heap.
func Keep(p *Point) {
	sink = p
}

// Box is generic; instantiated twice below.
func Box[T any](v T) *T {
	return &v
}

// UseBox instantiates Box with two shapes.
func UseBox() (*int, *string) {
	return Box(1), Box("s")
}

var sinkArgs []any

// Logf keeps its variadic slice.
func Logf(args ...any) {
	sinkArgs = args
}

// CallLogf builds a variadic slice that escapes.
func CallLogf(x int) {
	Logf(x, "a")
}

// First leaks what its parameter points to.
func First(ps []*Point) {
	sink = ps[0]
}

// Str converts bytes to a string that escapes.
func Str(b []byte) {
	sink = string(b)
}

// Alloc uses new.
func Alloc() *Point {
	return new(Point)
}
