export { Generator, type GeneratorState } from "./generator";
