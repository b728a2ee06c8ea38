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

# Two functions, for what a commit touches against what the branch touched before.
ADD_SUB = """
package geom

type Point struct{ X, Y int }

func Add(a, b Point) Point {
	return Point{a.X + b.X, a.Y + b.Y}
}

func Sub(a, b Point) Point {
	return Point{a.X - b.X, a.Y - b.Y}
}
"""
# Add, Sub, or both now return a pointer to a local: `moved to heap: p` / `d`.
ADD_ESCAPES = ADD_SUB.replace(
    "func Add(a, b Point) Point {\n\treturn Point{a.X + b.X, a.Y + b.Y}",
    "func Add(a, b Point) *Point {\n\tp := Point{a.X + b.X, a.Y + b.Y}\n\treturn &p",
)
SUB_ESCAPES = ADD_SUB.replace(
    "func Sub(a, b Point) Point {\n\treturn Point{a.X - b.X, a.Y - b.Y}",
    "func Sub(a, b Point) *Point {\n\td := Point{a.X - b.X, a.Y - b.Y}\n\treturn &d",
)
BOTH_ESCAPE = SUB_ESCAPES.replace(
    "func Add(a, b Point) Point {\n\treturn Point{a.X + b.X, a.Y + b.Y}",
    "func Add(a, b Point) *Point {\n\tp := Point{a.X + b.X, a.Y + b.Y}\n\treturn &p",
)
