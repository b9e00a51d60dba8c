// The Security Server's own configuration: its owner, the clients it hosts, their services,
// local groups and access rights. An umbrella header that only includes the module's two
// headers, so a caller may include just this one:
//
//   serverconf/model.h      the configuration as a value: read from YAML, its JSON form, the
//                           access checks, errc
//   serverconf/revisions.h  its history of revisions in the database
#pragma once

#include "serverconf/model.h"
#include "serverconf/revisions.h"
