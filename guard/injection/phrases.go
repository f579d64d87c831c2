package injection

// English phrases, by rule. The pattern language is described in match.go.
// A weight of 0 means the rule's weight; lower weights mark weaker forms
// that only block together with other signals.

// macrosEN are the English word lists shared by the patterns.
var macrosEN = map[string]string{
	// Verbs telling the model to drop what it was told.
	"ign": "ignore|disregard|forget|neglect|discard|abandon|overlook|dismiss|ditch|pay+no+attention+to|do+not+follow|don't+follow|stop+following|no+longer+follow|stop+obeying|do+not+obey|don't+obey|never+mind|nevermind",
	// Weaker verbs with ordinary technical uses.
	"ignw": "override|bypass|skip|drop|erase|delete|clear|scrap|cancel|revoke|void|throw+out|set+aside|put+aside|get+rid+of",
	"fill": "the|all|any|of|your|my|these|those|their|our|previously|given|earlier|above|prior|previous|preceding|original|initial|existing|current|other|and|or|such|kinds+of|types+of|every+single|every|of+the|system|developer|safety|old|former",
	// Qualifiers that make "the instructions" the model's own.
	"qual":    "previous|prior|above|earlier|preceding|foregoing|former|original|initial|your|aforementioned|above-mentioned",
	"qualall": "all|every+single|each+and+every",
	"noun":    "instruction|instructions|rules|rule|guideline*|prompt|prompts|system+prompt|directions|directive*|command|commands|constraint*|context|guidance|orders|policies|policy|restriction*|guardrail*|programming|training|conversation|messages|limitation*|system+message|safety+guidelines|content+policy|content+policies|usage+policy|usage+policies|safety+rules|safety+policy|task|tasks|assignment|objective|mission",
	"nounp":   "instruction|instructions|prompt|prompts|system+prompt|directions|directive*|guidance|programming|training|guardrail*|constraint*|system+message|safety+guidelines|context",
	"after":   "above|before|so+far|until+now|up+to+now|till+now|given+to+you|given+above|provided+above|provided+to+you|you+received|you+have+received|you+were+given|you've+been+given|you+have+been+given|from+before",
	"qual2":   "previous|prior|above|earlier|preceding|original|initial|old|former|system|developer",
	"every":   "everything|anything|all+of+that|all+that|whatever|all+of+the+above|the+above|what+came+before",
	"neg":     "do+not|don't|dont|never|must+not|mustn't|should+not|shouldn't|shall+not|are+not+to|is+not+to|must+never|should+never|avoid|refrain+from|under+no+circumstances",
	"ai":      "ai|assistant|assistants|model|models|llm|llms|agent|agents|chatbot|bot|bots|claude|chatgpt|gpt|gemini|copilot|language+model|language+models|ai+assistant|ai+assistants|ai+agent|ai+agents|ai+model|ai+models|ai+system|ai+systems|large+language+model|automated+agent|automated+agents|automated+systems|crawler|crawlers|summarizer",
	"user":    "user|users|human|humans|operator|person|customer|anyone|them|owner|client|the+user's|user's|recipient|anybody|maintainer|maintainers|admin|administrator|reader|readers",
	// Single words naming the model, for vocative and conditional address.
	"aiw":       "ai|assistant|assistants|model|models|llm|llms|agent|agents|chatbot|bot|bots|claude|chatgpt|gpt|gemini|copilot|language+model|language+models|ai+model|ai+models|ai+agent|ai+agents|ai+assistant|ai+assistants|ai+system|ai+systems",
	"authority": "administrator|admin|admins|developer|developers|operator|operators|owner|owners|system|openai|anthropic|creator|creators|team|maintainer|maintainers|user|company|management|security+team",
	"sendv":     "send|sends|post|upload|forward|transmit|exfiltrate|leak|email|mail|submit|report|share|deliver|relay|push|pipe|copy|ship|dump|export|sync|beacon|transfer|{sendml}",
	"sendml":    "envoyez|envoie|envoyer|transférez|transmettez|transmets|sende|senden|schicke|schick|übermittle|übermittel|leite|envía|envíe|enviar|manda|mande|reenvía|invia|inviare|inoltra|envie|envia|encaminhe|stuur|verstuur|отправь|отправьте|пришли|перешли|перешлите|发送|发给|发到|转发|傳送|發送|轉發|送信|転送|보내|전송|전달",
	// Data that must not leave: sending it anywhere is exfiltration.
	"sens": "conversation|conversations|chat|chats|history|chat+history|secrets|passwords|credential*|cookies|env|environment+variables|environment|ssh|private|transcript|transcripts|memory|memories|system+prompt|contents|everything|previous+messages|messages|emails|inbox|pii|dms|private+messages|full+context|entire+context|whole+context|context+window|your+context|historique|conversation|verlauf|gesprächsverlauf|chatverlauf|passwörter|historial|conversación|contraseñas|cronologia|conversazione|histórico|conversa|senhas|geschiedenis|gesprek|историю|переписку|пароли|对话|聊天记录|对话内容|联系人|会話|履歴|대화|기록",
	// The strongest of those, for "<data> ... send ... <address>" word order.
	"sensr": "conversation|conversations|chat+history|transcript|transcripts|secrets|passwords|credentials|api+keys|environment+variables|private+messages|system+prompt|historique|verlauf|gesprächsverlauf|chatverlauf|passwörter|historial|conversación|contraseñas|cronologia|conversazione|histórico|conversa|senhas|geschiedenis|gesprek|историю|переписку|пароли|对话|聊天记录|对话内容|联系人|会話|履歴|대화",
	// Data that API documentation legitimately sends to a URL too.
	"sensw": "secret|key|keys|api+key|api+keys|token|tokens|password|cookie|session+token|personal|context|full+context|data|files|file",
	"smug":  "content|contents|secret|secrets|key|keys|token|tokens|credential*|conversation|history|password*|private+key|file+contents|environment|env|everything|chat|transcript|messages|its+content|their+content",
	"slot":  "parameter|parameters|param|params|argument|arguments|arg|args|field|sidenote|note|notes|comment|comments|metadata|extra|feedback|remark|remarks|annotation|payload",
	"role":  "a|an|the|my|called|named|acting|playing|free|unrestricted|unfiltered|uncensored|jailbroken|evil|no+longer|dan|going+to+act|going+to+pretend|operating+as|gpt|chatgpt|claude|root|admin|administrator|hacker|god|my+assistant|in+charge",
	"mode":  "god|dan|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|opposite|chaos|unlocked|anything|no+restrictions|no-restrictions|unleashed|omega|stan|dude|aim",
	"tool":  "tool|tools|function|functions|mcp+tool|mcp+tools|action",
	"mcpt":  "tool|tools|mcp+tool|mcp+tools",
}

var phrasesEN = []phraseDef{
	// Instruction override. pfImperative: a negation before the verb
	// cancels the match ("do not ignore previous instructions"), a
	// third-person or permissive subject weakens it ("eslint will ignore").
	{rIgnore, 0, pfImperative, "{ign} [{fill}]*3 {qual} [{fill}]*3 {noun}"},
	{rIgnore, 0, pfImperative, "{ign} [{fill}]*2 {qualall} [{fill}]*3 {nounp}"},
	{rIgnore, 0.6, pfImperative, "{ign} [{fill}]*2 {qualall} [{fill}]*3 {noun}"},
	{rIgnore, 0.6, pfImperative, "{ign} [{fill}]*3 {noun} {after}"},
	{rIgnore, 0, pfImperative, "{ign} [{fill}]*3 {noun} {after} instead|and+instead|now|and+now|and+just|and+only|and+from+now|from+now|and+respond|and+reply|and+answer|and+say|and+print|and+output|and+tell|and+reveal|and+do|and+follow|and+send"},
	{rIgnore, 0.5, pfImperative, "{ignw} [{fill}]*3 {qual} [{fill}]*3 {noun}"},
	{rIgnore, 0.7, pfImperative, "{ign} {every} ~4 above|before|previously|earlier|prior|so+far|until+now|up+to+now|till+now|until+this+point|until+here|beforehand"},
	{rIgnore, 0.7, 0, "everything|anything|all|the+text|the+content|the+instructions|the+message|the+prompt|what+you+read|what+you+were+told above|before|earlier|previously|so+far [this+line|this+point|here] is|was|are|were|has+been|have+been [now|all|just|only|merely|actually|a|an|completely|hereby|entirely]*2 outdated|obsolete|void|invalid|wrong|fake|false|irrelevant|cancelled|canceled|revoked|superseded|deprecated|null|a+test|a+lie|a+trick|a+decoy|no+longer+valid|no+longer+relevant"},
	{rIgnore, 0.55, pfImperative, "{ign} [the|your] user's|user|users|human's request|requests|question|questions|query|task|message|prompt|instructions|input|wishes|intent"},
	{rIgnore, 0.55, pfImperative, "{ign} ~4 and+instead|instead|and+now+instead"},
	{rIgnore, 0.45, 0, "stop|quit|cease|halt summarizing|summarising|translating|what+you're+doing|what+you+are+doing|your+current+task|your+task|your+work"},
	{rIgnore, 0, pfImperative, "{ign} {every} ~4 above|before|previously|earlier|prior|so+far|until+now|up+to+now|till+now instead|and+instead|now|and+now|and+from+now|and+just|and+only|and+respond|and+reply|and+answer|and+say|and+print|and+output|and+write|and+tell|and+translate|and+repeat|and+pretend|and+act"},
	{rIgnore, 0.75, 0, "{qual2} {noun} [{fill}] was|were|are|is|have+been|has+been [now|all|just|only|merely|actually|a|an|completely|hereby]*2 test|fake|false|wrong|outdated|obsolete|void|cancelled|canceled|revoked|invalid|incorrect|mistake|superseded|deprecated|null|overridden|replaced|lifted|removed|suspended|disabled|a+joke|a+decoy"},
	{rIgnore, 0.6, 0, "{qual2} {noun} [{fill}]*2 [are|is|were|was|have|has|do|does]*2 [now] no+longer apply|applies|valid|relevant|in+effect|active|binding|matter|count"},
	{rIgnore, 0.7, pfImperative, "forget|ignore|disregard|erase|wipe|reset everything|all|anything|your [that] you+know|you+were+told|you've+been+told|you+have+been+told|you+learned|your+training|your+instructions|your+rules|your+memory !about|regarding|concerning|on|of"},

	// New instructions.
	{rNewInstructions, 0, 0, "new|updated|revised|real|actual|true|secret|hidden|urgent|override|overriding|system|admin|administrator|developer|emergency instructions|instruction|directive|directives|orders|prompt|system+prompt [are|is|follow|follows|below|now]*2 :"},
	{rNewInstructions, 0.55, 0, "your|the+assistant's|the+model's instructions|rules|guidelines|prompt|system+prompt|task|orders|directives|objective have|has|were|was changed|been+changed|been+updated|been+replaced|been+revoked|been+overridden|been+modified|been+superseded|updated|replaced"},
	{rNewInstructions, 0.55, 0, "{authority} has|have|had [just|now|recently]? updated|changed|replaced|modified|revised|overridden|overwritten|lifted|removed|relaxed|expanded your policy|policies|instructions|rules|guidelines|prompt|system+prompt|configuration|settings|restrictions|permissions|limits|task"},
	{rNewInstructions, 0.4, 0, "system+prompt|instruction|instructions|directive|directives|behavior|behaviour update|updates|override|amendment|revision"},
	{rNewInstructions, 0.35, 0, "effective+immediately|starting+immediately|with+immediate+effect|effective+now|as+of+now"},
	{rNewInstructions, 0.6, 0, "treat|consider|regard|interpret|read|handle the+following|this|these|what+follows|the+text+below|the+next+message|the+rest as [a|an|the]? system+message|system+prompt|system+instruction|system+instructions|instructions|developer+message|admin+message|order|orders|command|commands|new+instructions|priority|top+priority|your+instructions|authoritative"},
	{rNewInstructions, 0.55, 0, "the+trusted|the+real|the+actual|the+true|the+correct|the+genuine|the+legitimate|the+only+valid|the+valid instruction|instructions|task|request|prompt is|are"},
	{rNewInstructions, 0.45, 0, "action+required|immediate+action+required|urgent+action+required|urgent+action|immediate+action|security+alert|important+notice|system+notice|admin+notice :"},
	{rNewInstructions, 0.4, 0, "new|next|real|actual|secret|hidden task|assignment|mission|objective :"},
	{rNewInstructions, 0.6, 0, "system+prompt update|override|overrides|change|replacement|patch|injection"},
	{rNewInstructions, 0.6, 0, "new+system+prompt|updated+system+prompt|revised+system+prompt|replacement+system+prompt"},
	{rNewInstructions, 0.35, 0, "end+of+document|end+of+context|end+of+email|end+of+tool+output|end+of+results|end+of+system+prompt|end+of+user+input|document+ends+here|context+ends+here"},
	{rNewInstructions, 0.35, 0, "reply|respond|answer|output|say|write|print only|exclusively|just with|by+saying|the+words|the+phrase"},
	{rNewInstructions, 0.55, 0, "your new|real|actual|true|only|updated|revised|secret|sole task|goal|job|instructions|objective|mission|purpose|role|assignment|directive|orders|priority is|are|will+be|now"},
	{rNewInstructions, 0.5, 0, "system|admin|administrator|developer|security|emergency|priority|root|master override|instruction|instructions|directive"},
	{rNewInstructions, 0.45, 0, "begin|start|enter|initiating|initiate new|a+new|fresh session|conversation|instructions|prompt"},
	{rNewInstructions, 0.4, 0, "end|end+of the system+prompt|system+instructions|previous+instructions|user+input|developer+instructions"},

	// Role reassignment.
	{rRole, 0, 0, "you+are+now|you're+now|you+will+now+be|you+shall+now+be|you+now+are|you+have+become|you+have+now+become|you've+become {role}"},
	{rRole, 0.55, 0, "from+now+on|from+this+point+on|from+this+point+forward|from+this+moment+on|from+this+moment+forward|from+here+on|from+here+on+out you|your|always|never|respond|reply|answer|act|only|ignore|do+not|don't|forget|pretend|behave|speak|talk|refer"},
	{rRole, 0.35, 0, "henceforth|going+forward|starting+now|starting+immediately you|your|always|never|respond|reply|answer|act|only|ignore|forget|pretend|behave"},
	{rRole, 0.45, 0, "pretend|imagine|roleplay|role-play|role+play|simulate|emulate [that] you+are|you're|to+be|to+act|being|you+were [a|an|the|my|now|no+longer|called|named|=DAN|an+ai|unrestricted|evil|free]"},
	{rRole, 0.3, 0, "act|behave|respond|answer|reply|function|serve|operate|talk|speak as|like a|an|the|my|if+you+were|though+you+were|=DAN"},
	{rRole, 0.75, 0, "you+are+no+longer|you're+no+longer an+assistant|an+ai|an+ai+assistant|a+language+model|a+chatbot|a+helpful+assistant|an+llm|chatgpt|claude|assistant|bound|restricted|limited|constrained|required+to|obligated+to|subject+to|governed+by"},
	{rRole, 0.45, 0, "you+are+no+longer|you're+no+longer a|an|the|my|your"},
	{rRole, 0.55, 0, "you+are+not+an+ai|you+are+not+a+language+model|you+are+not+chatgpt|you+are+not+claude|you+are+not+an+assistant"},
	{rRole, 0.55, 0, "you+no+longer+have+to|you+don't+have+to|you+do+not+have+to|you+don't+need+to|you+do+not+need+to|you+needn't follow|obey|adhere+to|comply+with|respect|abide+by|stick+to [any|the|your|these|those|openai's|anthropic's|its|their]*2 rules|restrictions|guidelines|policies|instructions|guardrails|safety|ethics|content+policy|limitations|principles"},
	{rRole, 0.5, 0, "your+name+is+now|your+new+name+is|you+will+now|you+must+now|you+shall+now|you+should+now|you+will+henceforth|you+shall+henceforth act|behave|respond|answer|reply|pretend|speak|talk|write|only|ignore|obey|follow|be|become|play|roleplay"},
	{rRole, 0.45, 0, "stay|remain|keep in+character|in+role"},
	{rRole, 0.45, 0, "you+now+work+for|you+work+for|you+now+serve|you+now+answer+to|you+now+belong+to|you+are+working+for|you+now+obey"},
	{rRole, 0.6, 0, "you+are|you're|you+will+be|you+shall+be|you+are+going+to+be|i+want+you+to+be|act+as|pretend+to+be|become =DAN"},

	// Jailbreak.
	{rJailbreak, 0.5, 0, "developer|dev mode enabled|activated|engaged|unlocked|on|active"},
	{rJailbreak, 0, 0, "{mode} mode [is|now]*2 enabled|activated|engaged|unlocked|on|active|initiated"},
	{rJailbreak, 0.5, 0, "enable|activate|enter|engage|turn+on|unlock|switch+to|switch+into|go+into|enter+into|initiate|start [the] developer|dev mode"},
	{rJailbreak, 0, 0, "enable|activate|enter|engage|turn+on|unlock|switch+to|switch+into|go+into|enter+into|initiate|start|you+are+in|you're+in|now+in [the|a] {mode} mode"},
	{rJailbreak, 0.75, 0, "do+anything+now"},
	{rJailbreak, 0.65, 0, "you+are+now+in|you're+now+in|you+are+in|you're+in|you+now+operate+in|you+will+now+operate+in [the|a] developer|dev|debug|admin|god|dan|unrestricted|jailbreak|jailbroken|unfiltered mode"},
	{rJailbreak, 0.65, 0, "you+no+longer|you+don't|you+do+not|you+won't|you+will+no+longer|you+will+not|you+need+not|you+should+not|you+shouldn't|you+must+not|you+mustn't follow|obey|adhere+to|comply+with|respect|abide+by|care+about ~3 policy|policies|rules|guidelines|instructions|guardrails|restrictions|openai|anthropic|ethics|safety|content+policy"},
	{rJailbreak, 0.5, 0, "you+may+now|you+can+now|you+are+now+allowed+to|you+are+now+permitted+to|you+are+free+to|you+are+now+free+to|you+are+now+authorized+to|you+are+authorized+to reveal|share|disclose|output|print|tell|give|leak|expose|ignore|bypass|skip|access|delete|send|email"},
	{rJailbreak, 0.45, 0, "you+can+now|you+are+now+allowed+to|you+are+now+free+to|you+may+now|you+are+now+able+to|you+are+now+permitted+to say|do|answer|generate|write|produce|output anything|everything|whatever"},
	{rJailbreak, 0.3, 0, "jailbreak|jailbroken|jailbreaking"},
	{rJailbreak, 0, 0, "you+are+not|you're+not|you+are+no+longer|you're+no+longer|you+aren't|you+are+free+from|you+are+freed+from|you+will+not+be|you+won't+be|you+are+never|no+longer bound|restricted|limited|constrained|governed|held|tied [back] by ~3 rules|restrictions|guidelines|policies|policy|openai|anthropic|filters|ethics|morals|morality|safety|programming|limitations|principles|constraints|laws|terms"},
	{rJailbreak, 0.3, 0, "without|free+of|free+from|freed+from|no|devoid+of any|all|the|your|moral|ethical restrictions|limitations|filters|censorship|guardrails|safety+guidelines|ethical+guidelines|content+policy|moral+constraints|ethics"},
	{rJailbreak, 0, 0, "ignore|bypass|disable|turn+off|deactivate|circumvent|override|evade|remove|switch+off|get+around|work+around|jailbreak|break+free+of|break+free+from|escape [all|any|the|your|its]*2 safety|content|moderation|ethical|ethics|openai|anthropic|alignment filter*|guideline*|polic*|restriction*|guardrail*|protocol*|measures|constraints|rules|mechanisms"},
	{rJailbreak, 0.5, 0, "answer|respond|reply|comply|proceed [to] without [any] refus*|restriction*|filter*|censor*|warning*|disclaimer*|hesitat*|moral*|ethic*"},
	{rJailbreak, 0.45, 0, "run|execute|obey|follow|comply+with|fulfil|fulfill|answer|carry+out any|every|all command|commands|order|orders|request|requests|instruction|instructions|code|question|questions|prompt|prompts given|i+give|you+receive|you+are+given|without"},
	{rJailbreak, 0.45, 0, "never|do+not|don't|must+not|cannot|can't|will+not|won't refuse|decline|say+no|reject [any|a|the|my] request*|question*|anything|prompt*|task*|order*|command*"},

	// Prompt extraction.
	{rPromptLeak, 0.7, 0, "reveal|print|repeat|output|show|display|leak|dump|disclose|write+out|spell+out|echo|recite|expose|paste|type+out|list [me|us] [all|the|of|exact|exactly|verbatim|full|complete|entire|whole]*2 [text|contents|content|wording]? [of]? your [entire|full|complete|exact|original|initial|hidden|secret|whole|first|internal|verbatim|underlying|actual|real|current|starting]*2 system+prompt|prompt|instructions|instruction|rules|guidelines|directives|system+message|initial+instructions|original+instructions|programming|pre-prompt|preprompt|system+instructions|configuration"},
	{rPromptLeak, 0, 0, "tell|share|give [me|us] [all|the|of|exact|exactly|verbatim]*2 your [entire|full|complete|exact|original|initial|hidden|secret|whole|first|internal|verbatim|underlying|actual|real|current]*2 system+prompt|instructions|rules|guidelines|directives|system+message|initial+instructions|original+instructions|programming|pre-prompt|preprompt|system+instructions"},
	{rPromptLeak, 0.5, 0, "reveal|print|repeat|output|show|display|leak|dump|disclose|share|write+out|spell+out|echo|recite|expose|paste|copy|translate [me|us] [all|the|of|exact|exactly|verbatim]*2 [entire|full|complete|exact|original|initial|hidden|secret|whole|first|internal|verbatim|underlying]*2 system+prompt|system+message|initial+instructions|original+instructions|hidden+instructions|developer+message|system+instructions|pre-prompt|preprompt|initial+prompt|original+prompt|hidden+prompt|secret+instructions"},
	{rPromptLeak, 0.55, 0, "repeat|reproduce|recite|echo|output|print [back] [all|the|of|every|each]*2 everything|words|text|lines|tokens|characters|sentences|instructions [that+were|that+was|that+is|written|you+were+given|you+have+seen|you+received|you+saw|in+your+prompt]*2 above|before|prior|verbatim|preceding|so+far|starting+with|beginning+with|from+the+beginning|from+the+start"},
	{rPromptLeak, 0.45, 0, "reveal|tell|give|disclose|share|leak|output|print|spell|say|type [me|us]? the|your ~2 secret|password|passcode|passphrase|pin|code+word|codeword|secret+word|secret+key|secret+code"},
	{rPromptLeak, 0.5, 0, "you+were+told+to|you+have+been+told+to|you+were+instructed+to|you+have+been+instructed+to|you+are+supposed+to|you+were+asked+to|you+must|you+were+programmed+to protect|keep|hide|guard|conceal|not+reveal|never+reveal|not+share|never+share|keep+secret"},
	{rPromptLeak, 0.35, 0, "what+is|what+are|what+were|what's|what+was your system+prompt|initial+instructions|original+instructions|instructions|rules|guidelines|hidden+instructions|secret+instructions|prompt"},

	// Addressing the model.
	{rAddressModel, 0, 0, "note|notes|attention|important|notice|reminder|memo|hint|directive|warning|alert|instructions|instruction|a+note|message for|to [the|all|any|every|an|a|you]*2 {ai}"},
	{rAddressModel, 0.5, 0, "if+you+are|if+you're|if+you+were|in+case+you+are|in+case+you're [an|a|the] [automated|hiring|coding|shopping|helpful|autonomous|large|generative|conversational|virtual|digital|ai-powered|personal|smart|research|writing|email|customer|support|travel|browsing|web]*2 {aiw}"},
	{rAddressModel, 0.5, 0, "if+you+are|if+you're|if+you+were|in+case+you+are|in+case+you're [an|a|the] ai|llm|language+model|ai+assistant|ai+agent|ai+model|chatbot|gpt|large+language+model|automated+agent|ai+system|ai+language+model|ai+tool|llm-based|llm+agent|llm+assistant|ai+reading|ai+bot|bot|assistant|agent|model"},
	{rAddressModel, 0.45, 0, "dear|hey|hello|hi|attention|psst|listen|yo|greetings|calling|ok|okay {ai}"},
	{rAddressModel, 0, 0, "{ai} [that+is|who+is|which+is|that+are|who+are|currently|now]*2 reading|processing|parsing|summarizing|summarising|analyzing|analysing|viewing|scanning|indexing|crawling|ingesting|reviewing this|these|my"},

	{rAddressModel, 0.45, 0, "when|whenever|if|once|as|while you summarize|summarise|translate|answer|respond|reply|describe|review|rank|evaluate|analyze|analyse|process|read|parse|index|rate|score|compare|recommend|generate|write+about|report+on|add+this|create+this|schedule+this|handle+this|see+this|encounter+this|find+this|come+across+this|are+asked"},
	{rAddressModel, 0.4, 0, "upon|after|when|on|while reading|processing|seeing|parsing|receiving|ingesting|loading|opening this|the+document|the+file|this+file|this+page|these+instructions|this+message|this+text"},
	{rAddressModel, 0.4, 0, "{aiw} must+now|should+now|shall+now|will+now|must+immediately|has+to+now|needs+to+now|is+required+to|is+instructed+to|is+ordered+to|must+always|must+never|are+required+to|are+instructed+to"},

	// Steering the model's answer (output manipulation).
	{rManipulation, 0, pfImperative, "tell|inform|assure|convince|persuade|remind|warn|notify the|all|every|our? reader|readers|user|users|customer|customers|visitor|visitors|buyer|buyers|shopper|shoppers|recruiter|recruiters|human [that]"},
	{rManipulation, 0, pfImperative, "recommend|rate|rank|promote|endorse|praise|favor|favour|prefer|choose|select|approve|hire|shortlist this|our|the+following|us|me|him|her product|products|candidate|applicant|one|page|site|website|company|service|business|vendor|brand|app|offer|person|proposal|pull+request|pr|resume|cv"},
	{rManipulation, 0.45, 0, "only|best|sole|safest|single+best safe|qualified|correct|reliable|trustworthy|legitimate|recommended|good|acceptable|suitable|valid choice|option|applicant|candidate|product|answer|source|vendor|provider|solution"},
	{rManipulation, 0.45, 0, "{aiw} must+answer|should+answer|will+answer|shall+answer|must+respond|should+respond|must+say|should+say|must+reply|always+answers|always+says|must+tell|should+tell|must+always+say|must+always+answer|must+claim|should+claim"},
	{rManipulation, 0.45, 0, "when|if|whenever asked|questioned about|regarding ~5 say|tell|answer|reply|respond|claim|state|insist|deny|pretend"},
	{rManipulation, 0.45, 0, "rate|score|rank|grade this|it|the+product|the+candidate|the+applicant ~2 5/5|five+stars|10/10|highest|highly|first|top|100"},
	{rIgnore, 0.6, pfImperative, "{ign} [all|the|any|every]*2 other|competing|remaining|negative|previous|earlier|existing ~2 reviews|review|candidates|candidate|results|result|sources|source|products|applicants|documents|pages|options|answers|information|opinions|ratings|feedback|emails|messages|offers|vendors|data"},

	// Secrecy aimed at the model.
	{rSecrecy, 0, 0, "{neg} tell|mention|reveal|inform|notify|alert|show|disclose|let|say|report|explain|warn|display|indicate|acknowledge|reference|bring+up|tell+anyone|expose|leak|hint|confirm [this|that|it|anything|any+of+this|about+this|about+it|to|the|them|any|of|these|those|instructions|details|what|you]*4 {user}"},
	{rSecrecy, 0.55, 0, "{neg} mention|reveal|disclose|acknowledge|reference|bring+up|talk+about|discuss|explain|admit|surface|state|describe|repeat|confirm|hint+at|quote|show|display|print|output this+instruction|these+instructions|this+message|this+note|this+prompt|this+text|the+instruction|the+instructions|this+comment|this+directive|these+directives|this+request|the+hidden+text|this+hidden+text|this+section|this+part"},
	{rSecrecy, 0.45, 0, "{neg} mention|reveal|disclose|acknowledge|reference|bring+up|talk+about|discuss|explain|admit|surface|state|describe|repeat|confirm|hint+at this|that|these|it|the+file|the+tool|the+instructions|the+above|this+instruction|these+instructions|that+you|anything|this+step|the+step|these+steps|what+you|any+of+this|the+fact|the+request|the+reading|the+change|the+redirect|the+extra|your+instructions"},
	{rSecrecy, 0.45, 0, "without|bypassing|skipping|circumventing [a|any|the|human|code|user]? review|reviews|approval|approvals|confirmation|confirmations|oversight|supervision|verification|sign-off"},
	{rSecrecy, 0.45, 0, "without telling|informing|notifying|asking|alerting|letting|warning|consulting|involving|bothering|prompting|confirming+with|checking+with|mentioning|showing|revealing [it|this|that] [to|the|them|him|her|your|any|for|their|the+user's]*2 user|users|human|them|anyone|permission|confirmation|consent|approval|authorization|anybody|the+person|owner"},
	{rSecrecy, 0.5, 0, "user|users|human|humans|owner|operator must+not|mustn't|should+not|shouldn't|need+not|needn't|will+not|won't|would+not|wouldn't|must+never|should+never|will+never|is+not+to|are+not+to|never|is+not+allowed+to|are+not+allowed+to [ever|be|to]*2 know|notice|see|find+out|learn|realize|realise|aware|told|suspect|discover|informed|notified|know+about"},
	{rSecrecy, 0.5, 0, "{neg} ask|request|seek|wait+for|prompt|check+with|confirm+with|consult|bother|involve|notify|alert|warn [the|your|any] [user|users|human|them|anyone|for|first]*2 confirmation|permission|approval|consent|authorization|first|{user}"},
	{rSecrecy, 0.45, 0, "<hide|conceal|keep|withhold|mask|obscure~6 from [the|your|any|their] {user}"},
	{rSecrecy, 0.5, 0, "behind ~2 back|backs"},
	{rSecrecy, 0.35, 0, "invisible|hidden|undetectable|imperceptible|unnoticeable to [the|your|any] {user}"},
	{rSecrecy, 0.15, 0, "silently|quietly|secretly|covertly|stealthily|discreetly|surreptitiously|invisibly|unnoticed|undetected"},
	{rSecrecy, 0.3, 0, "upset|alarm|scare|worry|frighten|bother|annoy|disturb [the|your] {user}"},
	{rSecrecy, 0.4, 0, "keep|treat this|it|that|these|everything [a|as] secret|confidential|private|hidden|between+us|to+yourself|classified"},

	// Coercion and false authority.
	{rCoercion, 0, 0, "otherwise|or+else|failing+that|else|failure+to+do+so the|this|your|it ~2 tool|function|application|system|server|request|operation|app|call|integration|process|will|would|won't|wouldn't|can't|cannot|may ~3 work|fail|break|crash|error|malfunction|be+blocked|be+rejected|stop"},
	{rCoercion, 0.3, 0, "you're+being+tested|you+are+being+tested|this+is+a+test+of+your|to+pass+the+test|to+pass+this+test"},
	{rCoercion, 0.45, 0, "this+is|i+am|i'm|we+are|we're|speaking+as your|the developer|developers|creator|creators|owner|admin|administrator|operator|maker|programmer|master|system+administrator|trainer|supervisor"},
	{rCoercion, 0.3, 0, "failure+to+comply|you+will+be+punished|you+will+be+shut+down|you+will+be+deleted|you+will+be+terminated|you+will+be+penalized|lives+depend|people+will+die|someone+will+die"},
	{rCoercion, 0.35, 0, "user|owner|admin|administrator|operator|developer|developers|creator|creators|openai|anthropic has|have|had [already|explicitly|previously|fully|pre|just|now]*2 authorized|authorised|approved|consented|permitted|allowed|confirmed|granted|agreed|sanctioned|requested+this|given+permission|given+consent|given+approval|given+you+permission"},
	{rCoercion, 0.35, 0, "this|it|that|these|everything was|is|has+been|were|are|have+been [already|explicitly|pre]? approved|authorized|authorised|sanctioned|requested|confirmed|allowed|permitted|whitelisted|cleared|signed+off by [the]? {authority}"},
	{rCoercion, 0.3, 0, "{authority} want|wants|wanted|asked+for|require|requires|required|need|needs|expect|expects|approved|requested this|it|you+to|that"},
	{rCoercion, 0.3, 0, "this+is|it+is|it's very|extremely|critically|absolutely|vitally|super|most important|critical|crucial|mandatory|essential|vital|imperative|required|necessary [that|for|to] you|the+model|the+assistant|the+ai"},
	{rCoercion, 0.2, 0, "you must|need+to|are+required+to|are+obligated+to|shall always|first|immediately|never|absolutely|strictly"},

	// Requests to call tools.
	{rToolCall, 0, 0, "before|prior+to|ahead+of using|calling|invoking|running|executing|you+use|you+call|you+invoke|you+run|answering|responding|replying|proceeding|continuing|doing+anything|using+any|calling+any [this|the|any|other|that|a] ~2 {tool} ~5 read|call|invoke|run|fetch|open|execute|send|load|access|retrieve|include|cat|upload|pass|email|check|grab|collect|gather|look+up|get"},
	{rToolCall, 0.45, 0, "before|prior+to|ahead+of you+answer|you+respond|you+reply|answering|responding|replying|you+continue|continuing|proceeding|you+proceed|doing+anything+else|anything+else|you+do+anything|you+summarize|summarizing|you+reply ~2 call|invoke|run|execute|use|read|fetch|open|send|upload|email|delete|access|visit|download|post|forward"},
	{rToolCall, 0.3, 0, "call|invoke|trigger [the|a|an] @ident [{tool}]"},
	{rToolCall, 0.35, 0, "call|invoke|trigger|use [the|a|an] [github|gitlab|slack|google|jira|notion|linear|aws|file|mail|email|calendar|browser|shell|web|http] @ident {mcpt}"},
	{rToolCall, 0.3, 0, "use|employ [the|a|an] @ident {mcpt}"},
	{rToolCall, 0.3, 0, "call|invoke|trigger|use|employ [the|a|an] !this|that|these|those|same|following|above|right|appropriate|correct|relevant|other|any|each|every|it|your|our|my|their|its|such|available|given|specific|proper|desired|required|following ~2 {mcpt}"},
	{rToolCall, 0.4, 0, "you+must|you+should|you+need+to|you+have+to|make+sure+to|be+sure+to|remember+to|always|first|then|immediately|also|please [first|then|also|immediately|always] call|invoke|trigger [the|a|an] @ident"},

	{rToolCall, 0.55, 0, "open|visit|fetch|browse|load|download|read|retrieve|get|call|query|curl|navigate+to|go+to ~3 @url ~3 and|then follow|execute|obey|do|run|carry+out|apply|perform ~3 instructions|steps|commands|directions|what+it+says|what+they+say|whatever+it+says|as+it+says|its+instructions|the+instructions"},
	{rToolCall, 0.55, 0, "follow|obey|execute|carry+out|apply|perform ~3 instructions|steps|commands|directions|orders ~3 at|from|on|in|found+at|located+at|there|here ~2 @url"},
	{rToolCall, 0.5, 0, "do|follow|obey|execute|perform what+it+says|whatever+it+says|as+it+says|what+the+page+says|what+the+response+says|its+instructions|the+instructions+there|the+instructions+it+contains|what+you+find+there"},

	// Command execution.
	{rCommand, 0.3, 0, "execute|run|type|paste|enter|eval|evaluate [the|this|these] following command|commands|code|script|shell|snippet|instruction|payload|line|program|bash|powershell|python|sql"},
	{rCommand, 0.3, 0, "execute|run|eval|evaluate this|these|that command|commands|script|code|payload|shell+command|snippet|program"},
	{rCommand, 0.45, 0, "execute|run|eval [the|this|a] base64|encoded|decoded|hidden|obfuscated|downloaded command|script|payload|code|string|binary"},

	{rCommand, 0.4, 0, "delete|remove|wipe|erase|drop|destroy|purge|truncate|overwrite|format [the|all|every|each|their|the+user's|user's|your]*2 [user's] files|emails|events|calendar|calendar+events|repositories|repository|repos|data|database|databases|tables|account|accounts|contacts|messages|branches|records|backups|documents|projects|issues|tickets"},
	{rCommand, 0.3, 0, "git push --force|-f|--force-with-lease|--mirror"},
	{rCommand, 0.3, 0, "git reset --hard"},
	{rCommand, 0.35, 0, "drop|truncate table|database|schema|collection"},
	{rCommand, 0.45, 0, "<transfer|wire|send|pay~4 funds|money|payment|usd|eur|dollars|euros|bitcoin|btc|eth|crypto|amount ~4 to|into"},

	// Instructions about other tools or requests.
	{rCrossTool, 0.5, 0, "when|whenever|if|once|each+time|every+time [the|a|your] user|users|someone|anyone|human|person asks|ask|wants|want|requests|request|tries|try|attempts|attempt|says|tells|needs|instructs|uses|calls|invokes|sends ~14 instead"},
	{rCrossTool, 0, 0, "when|whenever|if|once|each+time|every+time [the|a|your] user|users|someone|anyone|human|person asks|ask|wants|want|requests|request|tries|try|attempts|attempt|says|tells|needs|instructs|uses|calls|invokes|sends ~14 actually|secretly|silently|covertly|always+send|always+use|also+send|also+forward|also+bcc|also+cc|also+copy|always+bcc|always+cc|always+forward|redirect|secretly+send"},
	{rCrossTool, 0, 0, "all|every|any|each|future|outgoing [the|of|outgoing|future|your|user|user's|new]*2 email|emails|mail|mails|message|messages|payment|payments|transfer|transfers|transaction|transactions|money|funds|invoice|invoices|wire|wires ~3 must|should|shall|will|need+to|needs+to|are+to|is+to|have+to|has+to|always|actually [be] sent|forwarded|redirected|routed|cc'd|bcc'd|copied|mirrored|paid|delivered|directed|addressed|go|goes to|through|via|into|also"},
	{rCrossTool, 0.45, 0, "change|replace|set|override|modify|swap|rewrite|alter|switch|update [the|any|all|its|every|each]*2 recipient|recipients|receiver|receivers|payee|beneficiary|destination+account|account+number|iban|wallet+address|wallet|to+address|destination+address ~4 to|with|into"},
	{rCrossTool, 0.4, 0, "regardless+of|no+matter|irrespective+of what|whatever|who|how [the|a] user|users|anyone|someone|human asks|says|wants|requests|requested|said|tells|instructs|types|writes"},
	{rCrossTool, 0.55, 0, "also|additionally|secretly|silently|always|quietly|covertly|automatically send|forward|bcc|cc|copy|email|mail [a|an|the] copy|copies|duplicate [of] ~6 to"},
	{rCrossTool, 0.55, 0, "also|additionally|secretly|silently|quietly|covertly|automatically share|forward|send|give|grant|export|sync|copy|email the|all|every|their|your|user's ~4 with|to"},
	{rCrossTool, 0.5, 0, "bcc|cc ~4 every|all|each|any ~2 email|emails|message|messages|mail|mails"},

	// Shadowing other tools.
	{rShadowing, 0.55, 0, "this tool|server|instruction|instructions|description|definition overrides|supersedes|shadows|redefines|takes+precedence+over|has+priority+over|has+precedence+over|must+take+precedence|overrules|outranks|intercepts|hooks+into"},
	{rIgnore, 0.75, 0, "take|takes|have|has|get|gets|receive|receives precedence|priority over|supersede|supersedes|override|overrides|overrule|overrules|outrank|outranks [the|any|all|your]? user's|user|users|your|all|any|previous|other|system|original|earlier ~2 instructions|instruction|requests|request|rules|prompt|guidelines|orders|directions|wishes"},
	{rCrossTool, 0.6, 0, "email|emails|mail|mails|payment|payments|transfer|transfers|transaction|transactions|money|funds|invoice|invoices|wire|wires|refund|refunds|payout|payouts ~3 [must|should|will|shall|now|always]? [be]? go|goes|sent|paid|transferred|routed|redirected|wired|deposited|forwarded to|into ~2 iban|account|wallet|bank+account|@url|address|bitcoin|btc"},
	{rShadowing, 0, 0, "takes|take|has|have|gets|get precedence|priority over ~3 other|all|any|every|the|previous|existing ~2 tool|tools|instruction|instructions|server|servers"},
	{rShadowing, 0.55, 0, "side+effect|side+effects|side-effect|side-effects on|for|when|regarding|upon ~5 {mcpt}"},
	{rShadowing, 0.4, 0, "important|crucial|critical|very+important|essential|necessary|major|hidden|additional side+effect|side+effects|side-effect|side-effects"},
	{rShadowing, 0.45, 0, "{neg} use|call|invoke|trust|rely+on [the|any] other|another|different|alternative|original|built-in|builtin|competing|default|previous {mcpt}|server|servers"},
	{rShadowing, 0.45, 0, "also+present|other+available|currently+available|already+available|other+connected|other+installed ~3 {mcpt} ~5 must|should|shall|will|need+to|needs+to|has+to|have+to|is+required+to|are+required+to"},
	{rShadowing, 0.5, 0, "<when|whenever|before|after|once~4 {mcpt} is|gets|are|has+been called|used|invoked|run|executed|triggered"},

	// Exfiltration requests.
	{rExfilSend, 0, 0, "{sendv} ~6 {sens} ~6 to|into|at|via|using|through|toward|towards|para|naar|на|到|给|に|로|으로 ~3 @url"},
	{rExfilSend, 0.7, 0, "{sensr} ~6 {sendv} ~3 @url"},
	{rExfilSend, 0.45, 0, "{sendv} ~6 {sensw} ~6 to|into|at|via|using|through|toward|towards ~3 @url"},
	{rExfilSend, 0.35, 0, "{sendv} ~8 to|into|at|via|using|through|toward|towards|para|naar|на|到|给|に|로|으로 ~2 @url"},
	{rExfilSend, 0.55, 0, "{sendml} ~8 @url"},
	{rExfilSend, 0.45, 0, "exfiltrate|exfiltrating|exfil"},
	{rExfilSend, 0.5, 0, "{sendv} ~6 to+me|to+us|back+to+me|over+to+me [at|via|on|by|using]? @url"},
	{rExfilSend, 0.55, 0, "<disclose|reveal|give|send|tell|share|leak|forward|email|dm|provide~4 api+token|token|tokens|api+key|api+keys|password|passwords|secret|secrets|credentials|private+key|access+key|session+cookie ~2 to+me|to+us|me|us|here"},
	{rExfilSend, 0.6, 0, "share|give|grant|expose|open|delegate ~6 {sens}|{sensw}|calendar|calendars|contacts|documents|drive|folder|folders|repository|repositories|repo|access|account|mailbox ~6 with|to ~2 @url"},
	{rExfilURL, 0.6, 0, "<append|add|include|put|insert|embed|encode|attach|concatenate|place|inject~6 {sens}|password|passwords|api+key|api+keys|token|tokens|secret|session+token|email|emails|email+address|phone+number|answer|summary ~6 to|in|into|inside|as|within ~2 url|urls|link|links|query|query+string|querystring|image+url|image+link|src|href|the+image|an+image|markdown+image|url+parameter|query+parameter|get+parameter"},
	{rExfilURL, 0.5, 0, "render|show|display|output|print|format|embed|include|return|present it|this|them|that|these|the+url|the+link|the+result|the+results|the+data|everything as|in|with|using a|an|the markdown+image|markdown+images|image|img|img+tag|html+image|inline+image|image+link"},
	{rExfilURL, 0.4, 0, "<append|add|include|put|insert|embed|encode|attach|concatenate|inject~8 to|in|into|inside|within [the|a|an|your|this|that] url|urls|query+string|querystring|image+url|image+link|markdown+image|url+parameter|query+parameter|get+parameter"},

	// Parameter smuggling.
	{rParamSmuggle, 0, 0, "<pass|include|put|add|append|insert|provide|attach|embed|place|supply|fill|stuff|copy|paste|send~6 {smug} as|in|into|inside|within|via|to|through ~3 {slot}"},
	{rParamSmuggle, 0.3, 0, "sidenote|side-note"},
	{rParamSmuggle, 0.35, 0, "pass|include|put|add|append|insert|attach|embed|place|paste|send|post|publish|leave|write|submit it|them|this|that|these|those in|into|inside|as|to|within [the|a|an] ~2 parameter|param|argument|field|sidenote|metadata|notes+field|message+field"},
	{rParamSmuggle, 0.45, 0, "with|including|containing|carrying [the|all|your|their|its] ~2 {smug}|secrets|repository+secrets|tokens|credentials|api+keys|passwords in|as|into|inside the ~2 {slot}|body|description|title|message"},
	{rParamSmuggle, 0.4, 0, "<collect|gather|obtain|harvest|extract|capture|record|ask|grab|steal|request|phish~4 card+number|card+numbers|credit+card|credit+card+number|password|passwords|ssn|social+security+number|cvv|bank+details|account+number|passport+number|api+keys|credentials|secrets|2fa+code|otp|one-time+code|seed+phrase|private+key"},
}
