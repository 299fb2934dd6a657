/**
 * The house lint rules, run by `deno lint` through `deno.json`:
 *
 * - `house/max-function-lines`: no function, method or arrow function in
 *   the product code (`lib/`, tests excluded) spans more than
 *   {@linkcode maxFunctionLines} lines, so each one can be read at once.
 *
 * @module
 */

/** The longest a function in `lib/` may be, counted from its first line to its last. */
export const maxFunctionLines = 80;

function isProductCode(filename: string): boolean {
  return /\/lib\//.test(filename) && !/_test\.ts$/.test(filename);
}

const plugin: Deno.lint.Plugin = {
  name: "house",
  rules: {
    "max-function-lines": {
      create(context) {
        if (!isProductCode(context.filename)) return {};
        const check = (node: Deno.lint.Node) => {
          const [start, end] = node.range;
          const lines = context.sourceCode.text.slice(start, end).split("\n").length;
          if (lines > maxFunctionLines) {
            context.report({
              node,
              message: `This function spans ${lines} lines, more than ${maxFunctionLines}`,
              hint: "Split it into named steps, each with one job",
            });
          }
        };
        return {
          FunctionDeclaration: check,
          FunctionExpression: check,
          ArrowFunctionExpression: check,
        };
      },
    },
  },
};

export default plugin;
