// asl-validator ships no type declarations; this is the part the tests use.
declare module 'asl-validator' {
  interface ValidationOptions {
    checkPaths?: boolean;
    checkArn?: boolean;
  }
  interface ValidationResult {
    isValid: boolean;
    errorsText: (separator?: string) => string;
  }
  function aslValidator(definition: object, options?: ValidationOptions): ValidationResult;
  export = aslValidator;
}
