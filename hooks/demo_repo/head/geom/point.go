// Package geom holds points and paths on a plane.
package geom

// Point is a position on a plane.
type Point struct{ X, Y float64 }

// Add returns the sum of a and b.
func Add(a, b Point) Point {
	return Point{a.X + b.X, a.Y + b.Y}
}

// Scale scales p by k and returns it, so that calls can be chained.
func Scale(p Point, k float64) *Point {
	p.X *= k
	p.Y *= k
	return &p
}
