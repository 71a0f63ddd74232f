// esbuild's "text" loader turns `import css from "./styles.css"` into a string.
declare module "*.css" {
  const text: string;
  export default text;
}
