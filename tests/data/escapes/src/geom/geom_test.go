package geom_test

import (
	"testing"

	"example.com/esc/geom"
)

func TestNewPoint(t *testing.T) {
	p := geom.NewPoint(1, 2)
	if p.X != 1 {
		t.Fatal(p)
	}
}
