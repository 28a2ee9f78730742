-- Toolchain.dhall: compiler, triples and flags, as confess declares the types of the engine's
-- src/armitage/dhall/Toolchain.dhall.
let Triple = ./Triple.dhall

let CFlags = ./CFlags.dhall

let LDFlags = ./LDFlags.dhall

let Compiler =
      < Clang : { version : Text }
      | NVClang : { version : Text }
      | GCC : { version : Text }
      | NVCC : { version : Text }
      | Rustc : { version : Text }
      | GHC : { version : Text }
      | Lean : { version : Text }
      >

let Toolchain =
      { compiler : Compiler
      , host : Triple.Triple
      , target : Triple.Triple
      , cflags : List CFlags.CFlag
      , cxxflags : List CFlags.CFlag
      , ldflags : List LDFlags.LDFlag
      , sysroot : Optional Text
      }

in  { Compiler, Toolchain }
