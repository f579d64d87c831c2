package policy

import (
	"fmt"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"
)

// Limits on conditions. Compile-time limits are load errors; exceeding
// the cost limit at evaluation is an evaluation error (see condition.eval).
const (
	// MaxConditionLength is the longest condition accepted, in code points.
	MaxConditionLength = 4096
	// MaxConditionNesting is the deepest nesting of comprehensions (all,
	// exists, exists_one, map, filter) accepted in a condition.
	MaxConditionNesting = 2
	// MaxConditionCost is the runtime cost budget of one evaluation of a
	// condition, in CEL cost units (about one unit per operation, plus
	// one per element traversed or per few bytes of string scanned).
	MaxConditionCost = 100_000
)

// celEnv is the one environment every condition is compiled in: the CEL
// standard library and the variables of a call.
var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("args", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("principal", cel.StringType),
		cel.Variable("roles", cel.ListType(cel.StringType)),
		cel.Variable("scopes", cel.ListType(cel.StringType)),
		cel.Variable("server", cel.StringType),
		cel.Variable("name", cel.StringType),
		cel.Variable("kind", cel.StringType),
		cel.CrossTypeNumericComparisons(true),
		cel.ParserExpressionSizeLimit(MaxConditionLength),
		cel.ASTValidators(
			cel.ValidateComprehensionNestingLimit(MaxConditionNesting),
			cel.ValidateRegexLiterals(),
			cel.ValidateHomogeneousAggregateLiterals(),
		),
	)
})

// condition is a compiled When expression. It is safe for concurrent use.
type condition struct {
	src  string
	prog cel.Program
}

// compileCondition parses, type-checks and plans src. The result must be
// a bool (or dyn, checked at evaluation).
func compileCondition(src string) (*condition, error) {
	env, err := celEnv()
	if err != nil {
		return nil, fmt.Errorf("CEL environment: %v", err)
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("invalid CEL expression:\n%s", indent(iss.Err().Error()))
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("the expression evaluates to %s; a condition must evaluate to a bool", t)
	}
	prog, err := env.Program(ast, cel.CostLimit(MaxConditionCost))
	if err != nil {
		return nil, fmt.Errorf("CEL program: %v", err)
	}
	return &condition{src: src, prog: prog}, nil
}

// indent indents every line of s by two spaces, for CEL's multi-line
// messages (which point at the column with a caret).
func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// eval evaluates the condition for the call in act. A non-nil error means
// the condition could not be evaluated: a missing map key, a type
// mismatch, arguments that could not be decoded, the cost limit, or a
// result that is not a bool. Callers treat an error as true for deny
// lines and false for allow lines.
func (c *condition) eval(act *activation) (bool, error) {
	out, _, err := c.prog.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("the condition evaluated to %s, not a bool", out.Type().TypeName())
	}
	return bool(b), nil
}

// emptyArgs stands for the arguments of a call that has none. It is never
// written.
var emptyArgs = map[string]any{}

var emptyStrings = []string{}

// activation resolves the CEL variables of one request. The arguments are
// decoded on first use, at most once, and only if a condition reads args.
type activation struct {
	r       Request
	loaded  bool
	args    map[string]any
	argsErr error
}

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "args":
		a.load()
		if a.argsErr != nil {
			return types.WrapErr(a.argsErr), true
		}
		return a.args, true
	case "principal":
		return a.r.Subject.Principal, true
	case "roles":
		return orEmpty(a.r.Subject.Roles), true
	case "scopes":
		return orEmpty(a.r.Subject.Scopes), true
	case "server":
		return a.r.Server, true
	case "name":
		return a.r.Name, true
	case "kind":
		return a.r.Kind.String(), true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }

func (a *activation) load() {
	if a.loaded {
		return
	}
	a.loaded = true
	if a.r.Args == nil {
		a.args = emptyArgs
		return
	}
	args, err := a.r.Args()
	switch {
	case err != nil:
		a.argsErr = fmt.Errorf("the arguments could not be decoded: %v", err)
	case args == nil:
		a.args = emptyArgs
	default:
		a.args = args
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return emptyStrings
	}
	return s
}
