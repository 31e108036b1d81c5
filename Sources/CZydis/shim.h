// Zydis (libzydis-dev): the x86-64 decoder VPlayPatch reads instructions with. No logic here.
#include <Zydis/Zydis.h>
