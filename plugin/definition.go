package plugin

// Definition is one tool, prompt, resource or resource template as a
// backend listed it, shown to a [DefinitionJudge] before the catalog
// offers it to clients.
type Definition struct {
	// Server is the backend that listed it.
	Server string
	// Kind is "tool", "prompt", "resource" or "template".
	Kind string
	// Name is the backend's own name (tools, prompts), the URI
	// (resources) or the URI template (templates).
	Name string
	// Exposed is the name clients see (namespaced for tools and prompts).
	Exposed string
	// Raw is the definition object exactly as the backend sent it.
	Raw []byte
	// Skipped is set for servers marked "blocked": "skipped" in the
	// config, which users exclude from definition scanning.
	Skipped bool
}

// Judgement is a judge's decision to hide a definition.
type Judgement struct {
	// Plugin is the judge's name.
	Plugin string
	// Reason says why, for the client and the log; it must not quote
	// the definition's text.
	Reason string
}

// DefinitionJudge is implemented by plugins that decide which listed
// definitions clients may see and use (tool poisoning, rug pulls). The
// gateway asks every judge about every definition whenever a backend's
// lists are fetched or change; a definition any judge hides is left out
// of the catalog, and calls to it are refused with the judgement's
// reason. Judge must be safe for concurrent use and quick for a
// definition it has seen before (cache by content).
type DefinitionJudge interface {
	Judge(d *Definition) *Judgement
}

// JudgementWatcher is implemented by judges whose decisions can change
// without the definitions changing (an approval); the gateway gives them
// a function to call then, which re-judges every definition and tells
// clients their lists changed.
type JudgementWatcher interface {
	WatchJudgements(rejudge func())
}
