// Package geom holds points and paths on a plane.
package geom

// Point is a position on a plane.
type Point struct{ X, Y float64 }

// Add returns the sum of a and b.
func Add(a, b Point) Point {
	return Point{a.X + b.X, a.Y + b.Y}
}

// Scale returns p scaled by k.
func Scale(p Point, k float64) Point {
	return Point{p.X * k, p.Y * k}
}

// Midpoint returns the point halfway between a and b.
func Midpoint(a, b Point) *Point {
	m := Point{(a.X + b.X) / 2, (a.Y + b.Y) / 2}
	return &m
}
