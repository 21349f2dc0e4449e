// class-transformer 0.5 ships these modules without declarations at their runtime paths; the
// types are the package's own (types/…). Used only by compiled-validation.ts.
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
declare module 'class-transformer/cjs/constants/default-options.constant' {
  export { defaultOptions } from 'class-transformer/types/constants/default-options.constant';
}
