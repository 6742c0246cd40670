// The parts of CodeMirror 6 the content editor uses (src/sparring/web/static/editor.js), bundled into one ES
// module by build.sh. Add an export here, rebuild, and commit the new bundle with its README.
export { EditorView, basicSetup } from "codemirror";
export { EditorState, Compartment } from "@codemirror/state";
export { keymap } from "@codemirror/view";
export { yaml } from "@codemirror/lang-yaml";
export { linter, lintGutter, setDiagnostics, forceLinting } from "@codemirror/lint";
