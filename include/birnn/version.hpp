#pragma once
/// @file
/// birnn's version. CMake reads the three macros below to set the project version.

#define BIRNN_VERSION_MAJOR 0
#define BIRNN_VERSION_MINOR 1
#define BIRNN_VERSION_PATCH 0

/// The version as one number, MAJOR * 10000 + MINOR * 100 + PATCH.
#define BIRNN_VERSION (BIRNN_VERSION_MAJOR * 10000 + BIRNN_VERSION_MINOR * 100 + BIRNN_VERSION_PATCH)
