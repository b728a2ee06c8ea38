"""Go sources several test modules build."""

CLEAN = """
package geom

type Point struct{ X, Y int }

func Add(a, b Point) Point {
	return Point{a.X + b.X, a.Y + b.Y}
}
"""

# Add now returns a pointer to a local: `moved to heap: p`.
ESCAPING = """
package geom

type Point struct{ X, Y int }

func Add(a, b Point) *Point {
	p := Point{a.X + b.X, a.Y + b.Y}
	return &p
}
"""
