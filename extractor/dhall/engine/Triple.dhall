-- Triple.dhall: the engine's target triple, as confess declares it. confess's declaration of
-- the types of the engine's src/armitage/dhall/Triple.dhall (docs/dhall-schema.md says which
-- revision); a checkout of the engine's own folder can stand in for this one
-- (`--engine-schema DIR`).
let Arch = < x86_64 | aarch64 | riscv64 | wasm32 | armv7 >

let Vendor = < unknown | pc | apple | nvidia >

let OS = < linux | darwin | windows | wasi | none >

let ABI = < gnu | musl | eabi | eabihf | msvc | none >

let Cpu =
      < generic
      | native
      | x86_64_v2
      | x86_64_v3
      | x86_64_v4
      | znver3
      | znver4
      | znver5
      | sapphirerapids
      | alderlake
      | neoverse_v2
      | neoverse_n2
      | cortex_a78ae
      | cortex_a78c
      | apple_m1
      | apple_m2
      | apple_m3
      | apple_m4
      >

let Gpu =
      < none
      | sm_80
      | sm_86
      | sm_89
      | sm_90
      | sm_90a
      | sm_87
      | sm_100
      | sm_100a
      | sm_120
      >

let Triple =
      { arch : Arch, vendor : Vendor, os : OS, abi : ABI, cpu : Cpu, gpu : Gpu }

in  { Arch, Vendor, OS, ABI, Cpu, Gpu, Triple }
