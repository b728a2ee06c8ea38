package geom

// Midpoint returns the point halfway between a and b.
func Midpoint(a, b Point) *Point {
	m := Point{(a.X + b.X) / 2, (a.Y + b.Y) / 2}
	return &m
}
