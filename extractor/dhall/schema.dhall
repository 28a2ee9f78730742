-- confess's schema for BUILD.dhall manifests (confess-dhall/1).
--
-- Shipped inside every confess output directory (dhall/schema.dhall) and imported by relative
-- path from each BUILD.dhall, so the manifests are self-contained. The shapes follow the
-- hermetic engine's interface (Target with name, srcs, deps, toolchain and requires; Dep; Src;
-- Toolchain with typed triples and flag lists; Resource) and extend it with what a migration
-- needs: the kind of target, the headers it reads, per-source flags, generated files, and
-- where the target came from. Every type is described in docs/dhall-schema.md.
--
-- Paths are Text: relative to the source root ("lib/a.c", "." for the root itself), under the
-- build tree with a "[build]/" prefix ("[build]/zconf.h"), or absolute outside both trees.
let Arch = < x86_64 | i686 | aarch64 | arm | riscv64 | powerpc64le | s390x | Other : Text >

let Vendor = < unknown | pc | apple | Other : Text >

let OS = < linux | darwin | windows | freebsd | none | Other : Text >

let ABI = < gnu | gnueabihf | musl | android | msvc | none | Other : Text >

let Cpu = < generic | native | Named : Text >

let Gpu = < NoGPU | SM : Natural >

let Triple = { arch : Arch, vendor : Vendor, os : OS, abi : ABI, cpu : Cpu, gpu : Gpu }

let Compiler =
      < GCC : { version : Text }
      | Clang : { version : Text }
      | NVClang : { version : Text }
      | NVCC : { version : Text }
      | Rustc : { version : Text }
      | GHC : { version : Text }
      | Lean : { version : Text }
      | Unknown : { name : Text, version : Text }
      >

let OptLevel = < O0 | O1 | O2 | O3 | Os | Oz | Ofast | Og >

let Std =
      < C89 | C99 | C11 | C17 | C23
      | GNU89 | GNU99 | GNU11 | GNU17 | GNU23
      | CXX98 | CXX03 | CXX11 | CXX14 | CXX17 | CXX20 | CXX23 | CXX26
      | GNUXX98 | GNUXX03 | GNUXX11 | GNUXX14 | GNUXX17 | GNUXX20 | GNUXX23 | GNUXX26
      >

let LTO = < Full | Thin | Auto | Jobs : Natural >

let SymbolVisibility = < Default | Hidden | Internal | Protected >

let StackProtector = < Basic | Strong | All | Explicit >

let Define = { name : Text, value : Optional Text }

let CFlag =
      < Optimize : OptLevel
      | Debug : Natural
      | DebugFormat : Text
      | Std : Std
      | LTO : LTO
      | NoLTO
      | Define : Define
      | Undefine : Text
      | Include : Text
      | System : Text
      | Quote : Text
      | DirAfter : Text
      | IncludeFile : Text
      | MacrosFile : Text
      | NoStdInc
      | PIC
      | SmallPIC
      | PIE
      | SmallPIE
      | NoPIC
      | Visibility : SymbolVisibility
      | StackProtector : StackProtector
      | NoStackProtector
      | Pthread
      | Warn : Text
      | NoWarn : Text
      | WarnError : Text
      | WarningsAsErrors
      | Pedantic
      | PedanticErrors
      | NoWarnings
      | Feature : { name : Text, enabled : Bool }
      | March : Text
      | Mtune : Text
      | Machine : Text
      | Language : Text
      | Param : { name : Text, value : Text }
      | Assembler : Text
      | Raw : Text
      >

let LDFlag =
      < LibPath : Text
      | Rpath : Text
      | RpathLink : Text
      | GroupDeps
      | Soname : Text
      | VersionScript : Text
      | ExportDynamic
      | AsNeeded
      | NoAsNeeded
      | NoUndefined
      | GcSections
      | ZKeyword : Text
      | LinkerOptimize : Natural
      | BuildId : Optional Text
      | HashStyle : Text
      | Static
      | StaticLibgcc
      | StaticLibstdcxx
      | PIE
      | NoPIE
      | Strip
      | Script : Text
      | Entry : Text
      | UndefinedSymbol : Text
      | NoStdLib
      | NoDefaultLibs
      | NoStartFiles
      | Compiler : CFlag
      | Raw : Text
      >

let Toolchain =
      { compiler : Compiler
      , host : Triple
      , target : Triple
      , cflags : List CFlag
      , cxxflags : List CFlag
      , ldflags : List LDFlag
      , sysroot : Optional Text
      }

let Src =
      < Files : List Text
      | Fetch : { url : Text, hash : Text }
      | Git : { url : Text, rev : Text, hash : Text }
      >

let PackageMethod = < FindPackage | PkgConfig | FetchContent >

let Dep =
      < Local : Text
      | External : { hash : Text, name : Text }
      | PkgConfig : Text
      | Flake : Text
      | Package :
          { name : Text
          , method : PackageMethod
          , version : Text
          , libraries : List Text
          }
      | Library : Text
      | File : Text
      >

let Resource =
      < Pure | Network | Auth : Text | Sandbox : Text | Filesystem : Text >

let Resources = List Resource

let TargetKind = < Executable | StaticLibrary | SharedLibrary | ObjectLibrary >

let Override = { src : Text, object : Optional Text, flags : List CFlag }

let Assembler =
      < Nasm : { version : Text }
      | Yasm : { version : Text }
      | GnuAs : { version : Text }
      >

let AsmFlag =
      < Format : Text
      | Include : Text
      | Define : Define
      | Undefine : Text
      | PreInclude : Text
      | Debug : Optional Text
      | Optimize : Text
      | Warn : Text
      | Raw : Text
      >

let Assembly =
      { src : Text
      , object : Optional Text
      , assembler : Assembler
      , flags : List AsmFlag
      }

let LinkOption =
      < StartGroup
      | EndGroup
      | WholeArchive
      | NoWholeArchive
      | StaticLibs
      | SharedLibs
      | AsNeeded
      | NoAsNeeded
      >

let LinkItem =
      < Source : Text | Object : Text | Dep : Dep | Option : LinkOption >

let Producer =
      < Program : { tool : Text, argv : List Text, cwd : Text }
      | Unrecorded
      >

let Generated = { path : Text, producer : Producer }

let Owner = < Toolchain | Package : Text | Filesystem >

let OutsideHeader = { path : Text, owner : Owner }

let Origin = { file : Text, line : Natural }

let Visibility = < Public | Private >

let Target =
      { name : Text
      , kind : TargetKind
      , output : Text
      , aliases : List Text
      , srcs : Src
      , headers : List Text
      , outside_headers : List OutsideHeader
      , deps : List Dep
      , toolchain : Toolchain
      , overrides : List Override
      , assembled : List Assembly
      , link : List LinkItem
      , generated : List Generated
      , requires : Resources
      , visibility : Visibility
      , origin : Optional Origin
      }

let Package = { dir : Text, targets : List Target }

in  { Arch
    , Vendor
    , OS
    , ABI
    , Cpu
    , Gpu
    , Triple
    , Compiler
    , OptLevel
    , Std
    , LTO
    , SymbolVisibility
    , StackProtector
    , Define
    , CFlag
    , LDFlag
    , Toolchain
    , Src
    , PackageMethod
    , Dep
    , Resource
    , Resources
    , TargetKind
    , Override
    , Assembler
    , AsmFlag
    , Assembly
    , LinkOption
    , LinkItem
    , Producer
    , Generated
    , Owner
    , OutsideHeader
    , Origin
    , Visibility
    , Target
    , Package
    }
