-- CFlags.dhall: the engine's compiler flags, as confess declares them (the types of the
-- engine's src/armitage/dhall/CFlags.dhall). The engine renders Include p as -Ip, System p as
-- "-isystem p", Wno w as -Wno-w, Debug gN as -gN and Raw r as r.
let CStd = < c89 | c99 | c11 | c17 | c23 >

let CxxStd = < cxx11 | cxx14 | cxx17 | cxx20 | cxx23 >

let OptLevel = < O0 | O1 | O2 | O3 | Os | Oz | Og >

let LTOMode = < off | thin | full >

let Sanitizer = < address | memory | thread | undefined | leak >

let DebugLevel = < g0 | g1 | g2 | g3 >

let CFlag =
      < Opt : OptLevel
      | LTO : LTOMode
      | StdC : CStd
      | StdCxx : CxxStd
      | Wall
      | Wextra
      | Werror
      | Wpedantic
      | Wno : Text
      | Define : { name : Text, value : Optional Text }
      | Undef : Text
      | Include : Text
      | System : Text
      | PIC
      | PIE
      | Static
      | Shared
      | March : Text
      | Mtune : Text
      | Native
      | Debug : DebugLevel
      | Sanitize : Sanitizer
      | FunctionSections
      | DataSections
      | NoExceptions
      | NoRTTI
      | Pthread
      | Raw : Text
      >

in  { CStd, CxxStd, OptLevel, LTOMode, Sanitizer, DebugLevel, CFlag }
