package geom

// Path is a sequence of points.
type Path []Point

// Rect is an axis-aligned rectangle.
type Rect struct{ Min, Max Point }

// Translate moves every point of the path by d, in place.
func (p Path) Translate(d Point) {
	for i := range p {
		p[i] = Add(p[i], d)
	}
}

// Bounds returns the smallest rectangle that holds every point of p.
func (p Path) Bounds() Rect {
	r := Rect{Min: p[0], Max: p[0]}
	for _, q := range p[1:] {
		r.Min.X, r.Min.Y = min(r.Min.X, q.X), min(r.Min.Y, q.Y)
		r.Max.X, r.Max.Y = max(r.Max.X, q.X), max(r.Max.Y, q.Y)
	}
	return r
}

// Segment returns n points evenly spaced from a to b.
func Segment(a, b Point, n int) Path {
	out := make(Path, n)
	for i := range out {
		t := float64(i) / float64(n-1)
		out[i] = Point{a.X + t*(b.X-a.X), a.Y + t*(b.Y-a.Y)}
	}
	return out
}
