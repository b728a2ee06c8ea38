// The differential test's view of Go source, from go/ast and go/types: for each file of the
// packages named on the command line, where its function bodies and package-level var
// declarations are, which raw strings span lines, where the compiler prints a constant
// expression, and the names of the package's types.
package main

import (
	"encoding/json"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
)

type file struct {
	Bodies [][2]int `json:"bodies"` // lines of a function body's { and }
	Vars   [][2]int `json:"vars"`   // first and last line of a package-level var declaration with values
	Raw    [][2]int `json:"raw"`    // first and last line of a raw string spanning lines
	Consts [][2]int `json:"consts"` // line and column where the compiler prints a constant
	Types  []string `json:"types"`  // the package's own type names
	Init   bool     `json:"init"`   // has package initialisation code: var x = ..., func init
}

func main() {
	out := map[string]*file{}
	fset := token.NewFileSet()
	for _, dir := range os.Args[1:] {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			panic(err)
		}
		var files []*ast.File
		for _, name := range pkg.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
			if err != nil {
				panic(err)
			}
			files = append(files, f)
		}
		info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}}
		conf := types.Config{Importer: importer.Default()}
		if _, err := conf.Check(pkg.ImportPath, fset, files, info); err != nil {
			panic(err)
		}
		var typeNames []string
		for _, obj := range info.Defs {
			if tn, ok := obj.(*types.TypeName); ok && !tn.IsAlias() {
				typeNames = append(typeNames, tn.Name())
			}
		}
		for _, f := range files {
			name := filepath.ToSlash(fset.Position(f.Pos()).Filename)
			rec := &file{Bodies: [][2]int{}, Vars: [][2]int{}, Raw: [][2]int{}, Consts: [][2]int{}, Types: typeNames}
			out[name] = rec
			line := func(p token.Pos) int { return fset.Position(p).Line }
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Body != nil {
						rec.Bodies = append(rec.Bodies, [2]int{line(d.Body.Lbrace), line(d.Body.Rbrace)})
					}
					if d.Recv == nil && d.Name.Name == "init" {
						rec.Init = true
					}
				case *ast.GenDecl:
					if d.Tok != token.VAR {
						continue
					}
					for _, s := range d.Specs {
						if len(s.(*ast.ValueSpec).Values) > 0 {
							rec.Vars = append(rec.Vars, [2]int{line(d.Pos()), line(d.End())})
							rec.Init = true
							break
						}
					}
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && strings.HasPrefix(lit.Value, "`") && line(lit.Pos()) != line(lit.End()) {
					rec.Raw = append(rec.Raw, [2]int{line(lit.Pos()), line(lit.End())})
				}
				return true
			})
		}
		for e, tv := range info.Types {
			if tv.Value == nil {
				continue
			}
			var at []token.Pos
			switch e := e.(type) {
			case *ast.CallExpr:
				at = append(at, e.Lparen)
			case *ast.SelectorExpr:
				at = append(at, e.Sel.Pos()-1)
			case *ast.BinaryExpr:
				at = append(at, e.OpPos)
			case *ast.UnaryExpr:
				at = append(at, e.OpPos)
			case *ast.ParenExpr:
				at = append(at, e.Lparen, e.X.Pos())
			default:
				at = append(at, e.Pos())
			}
			for _, p := range at {
				pos := fset.Position(p)
				name := filepath.ToSlash(pos.Filename)
				if rec := out[name]; rec != nil {
					rec.Consts = append(rec.Consts, [2]int{pos.Line, pos.Column})
				}
			}
		}
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
