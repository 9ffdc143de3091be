// The bundler imports .css files as text (scripts/build-embed.js: loader '.css': 'text').
declare module '*.css' {
  const css: string;
  export default css;
}
