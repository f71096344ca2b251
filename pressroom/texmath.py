"""Math under ``--safe``: an allowlist of math commands, as KaTeX's and MathJax's safe modes have.

Pandoc passes the TeX of ``$...$`` and ``$$...$$`` to LaTeX as it is, so math
is TeX code: ``$\\input{/etc/passwd}$`` or ``$\\def\\x{\\x}\\x$`` would run. Under
``--safe`` every piece of math (body, notes, header fields, and what citeproc
makes of a bibliography) must consist of:

- letters, digits, punctuation, white space, operators and any non-ASCII character;
- control words from :data:`COMMANDS` (Greek letters, operators, relations,
  arrows, delimiters, accents, fractions and roots, ``\\mathrm`` and the other
  math fonts, ``\\text`` with plain text, spacing, ``\\left``/``\\right``...),
  and ``\\begin``/``\\end`` of the environments in :data:`ENVIRONMENTS`;
- the control symbols in :data:`SYMBOLS` (``\\,`` ``\\{`` ``\\|`` ``\\\\`` ...);
- balanced braces.

Everything else is refused, naming it: any other command (``\\def``,
``\\csname``, ``\\input``, ``\\catcode``, ``\\write``, ``\\read``, ``\\openin``,
``\\immediate``, ``\\special``, ``\\directlua``, ``\\usepackage``, ``\\XeTeXpicfile``,
``\\label``...), TeX's ``^^`` character notation, ``#``, ``%``, ``$`` and control
characters. Nothing on the list defines, reads, writes or loops, so allowed
math can only typeset (or fail with a TeX error).
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Commands whose argument is text: inside it, plain text only (and these commands again).
TEXT_COMMANDS = _words("""
text textrm textit textbf textsf texttt textup textnormal textmd emph mbox
""")

#: Every control word math may use under --safe (besides TEXT_COMMANDS, begin and end).
COMMANDS = _words("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda mu nu
xi omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega digamma
Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
varGamma varDelta varTheta varLambda varXi varPi varSigma varUpsilon varPhi varPsi varOmega
aleph beth gimel daleth ell hbar hslash imath jmath wp Re Im partial infty nabla prime backprime
emptyset varnothing forall exists nexists neg lnot top bot angle measuredangle sphericalangle
triangle vartriangle triangledown Box Diamond square blacksquare lozenge blacklozenge bigstar
blacktriangle blacktriangledown clubsuit diamondsuit heartsuit spadesuit flat natural sharp surd
backslash checkmark dag ddag dagger ddagger S P copyright pounds mho eth complement Bbbk circledS
circledR maltese yen
pm mp times div cdot ast star circ bullet oplus ominus otimes oslash odot cap cup sqcap sqcup
uplus wedge land vee lor setminus smallsetminus wr diamond bigtriangleup bigtriangledown
triangleleft triangleright lhd rhd unlhd unrhd amalg ltimes rtimes leftthreetimes
rightthreetimes boxplus boxminus boxtimes boxdot dotplus divideontimes intercal barwedge veebar
curlywedge curlyvee centerdot circledast circledcirc circleddash doublecap doublecup Cap Cup
doublebarwedge
leq le geq ge neq ne equiv approx sim simeq cong propto varpropto ll gg lll ggg subset supset
subseteq supseteq subsetneq supsetneq subseteqq supseteqq subsetneqq supsetneqq nsubseteq
nsupseteq in ni owns notin mid nmid parallel nparallel perp models vdash dashv vDash Vdash Vvdash
nvdash nvDash nVdash prec succ preceq succeq precsim succsim precapprox succapprox nprec nsucc
asymp doteq doteqdot bowtie smile frown smallsmile smallfrown leqslant geqslant leqq geqq lesssim
gtrsim lessapprox gtrapprox lessgtr gtrless lesseqgtr gtreqless approxeq thicksim thickapprox
triangleq nleq ngeq nless ngtr nleqslant ngeqslant nsim ncong lneq gneq lneqq gneqq lnsim gnsim
sqsubset sqsupset sqsubseteq sqsupseteq Subset Supset therefore because between pitchfork
backsim backsimeq eqsim risingdotseq fallingdotseq circeq bumpeq Bumpeq trianglelefteq
trianglerighteq vartriangleleft vartriangleright ntriangleleft ntriangleright ntrianglelefteq
ntrianglerighteq shortmid shortparallel nshortmid nshortparallel eqcirc
to gets rightarrow leftarrow leftrightarrow Rightarrow Leftarrow Leftrightarrow iff implies
impliedby mapsto longmapsto longrightarrow longleftarrow longleftrightarrow Longrightarrow
Longleftarrow Longleftrightarrow uparrow downarrow updownarrow Uparrow Downarrow Updownarrow
nearrow searrow swarrow nwarrow hookrightarrow hookleftarrow rightharpoonup rightharpoondown
leftharpoonup leftharpoondown rightleftharpoons leftrightharpoons leadsto rightsquigarrow
leftrightsquigarrow twoheadrightarrow twoheadleftarrow nrightarrow nleftarrow nRightarrow
nLeftarrow nleftrightarrow nLeftrightarrow circlearrowleft circlearrowright curvearrowleft
curvearrowright upharpoonleft upharpoonright downharpoonleft downharpoonright leftleftarrows
rightrightarrows upuparrows downdownarrows leftrightarrows rightleftarrows Lleftarrow Rrightarrow
Lsh Rsh looparrowleft looparrowright multimap dashrightarrow dashleftarrow xrightarrow xleftarrow
langle rangle lfloor rfloor lceil rceil lvert rvert lVert rVert vert Vert lbrace rbrace lbrack
rbrack ulcorner urcorner llcorner lrcorner lgroup rgroup lmoustache rmoustache
left right middle big Big bigg Bigg bigl Bigl biggl Biggl bigr Bigr biggr Biggr bigm Bigm biggm
Biggm
dots ldots cdots vdots ddots dotsc dotsb dotsm dotsi dotso
sum prod coprod int iint iiint iiiint idotsint oint bigcup bigcap bigsqcup bigvee bigwedge
bigoplus bigotimes bigodot biguplus limits nolimits
sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth exp log ln lg lim liminf limsup
max min sup inf det dim gcd hom ker arg deg Pr bmod pmod mod pod injlim projlim varlimsup
varliminf varinjlim varprojlim operatorname
frac dfrac tfrac cfrac binom dbinom tbinom sqrt over atop choose brace brack
hat widehat check widecheck tilde widetilde acute grave dot ddot dddot ddddot breve bar vec
mathring overline underline overrightarrow overleftarrow overleftrightarrow underrightarrow
underleftarrow underleftrightarrow overbrace underbrace overset underset stackrel not substack
cancel bcancel xcancel cancelto boxed
mathrm mathit mathbf mathsf mathtt mathcal mathbb mathfrak mathnormal boldsymbol rm bf it sf tt cal
displaystyle textstyle scriptstyle scriptscriptstyle
mathop mathbin mathrel mathord mathopen mathclose mathpunct mathinner
quad qquad enspace thinspace medspace thickspace negthinspace negmedspace negthickspace hspace
kern mkern hskip mskip phantom hphantom vphantom smash
nonumber notag color textcolor
""")

#: The environments of ``\\begin{...}`` in math.
ENVIRONMENTS = _words("""
matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix cases aligned alignedat gathered split
array subarray
""")

#: Control symbols (a backslash and one character that is not a letter) math may use.
SYMBOLS = frozenset(",:;!>/ {}|\\%$#&_\t\n")

_TOKEN = re.compile(r"\\([A-Za-z]+|.?)|(\^\^)|([{}])|([#%$])|([\x00-\x08\x0b\x0c\x0e-\x1f\x7f])", re.DOTALL)
_ENV_NAME = re.compile(r"\s*\{([A-Za-z]+\*?)\}")


def refused(tex: str) -> str | None:
    """What in ``tex`` (the TeX of one piece of math) is not allowed under ``--safe``, in a few
    words that name it; None when all of it is allowed."""
    depth = 0
    text_depths: list[int] = []    # the brace depths at which a text argument opened
    pending_text = False           # a text command was just read: its argument comes next
    pos = 0
    while True:
        m = _TOKEN.search(tex, pos)
        if m is None:
            break
        pos = m.end()
        word, caret, brace, special, control = m.groups()
        if caret:
            return "TeX's ^^ character notation"
        if special:
            return f"`{special}` (write \\{special} for the character)"
        if control:
            return f"the control character U+{ord(control):04X}"
        if brace == "{":
            depth += 1
            if pending_text:
                text_depths.append(depth)
            pending_text = False
            continue
        if brace == "}":
            if text_depths and text_depths[-1] == depth:
                text_depths.pop()
            depth -= 1
            if depth < 0:
                return "a `}` that closes no `{`"
            continue
        if word is None:
            continue
        pending_text = False
        if word == "":
            return "a backslash at the end"
        if not word[0].isalpha():
            if word not in SYMBOLS:
                return f"the command `\\{word}`"
            continue
        if text_depths and word not in TEXT_COMMANDS:
            return f"the command `\\{word}` in text (`\\text` takes plain text)"
        if word in ("begin", "end"):
            env = _ENV_NAME.match(tex, pos)
            if env is None or env.group(1) not in ENVIRONMENTS:
                shown = env.group(1) if env else tex[pos:pos + 12].strip()
                return f"the environment `{shown}`" if env else f"`\\{word}` without an allowed environment"
            pos = env.end()
            continue
        if word in TEXT_COMMANDS:
            pending_text = True
            continue
        if word not in COMMANDS:
            return f"the command `\\{word}`"
    if depth != 0:
        return "a `{` that is never closed"
    return None
