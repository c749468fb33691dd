// Renders nginx/nginx.conf.tmpl from the configuration: the single source of every
// limit nginx enforces (body size, rates, timeouts, cache), so nginx and the app
// cannot disagree. Pure functions; nginx_render_test.cc checks them.
#pragma once

#include <map>
#include <string>

#include "core/config.h"

namespace oj {

// Replaces each {{name}} in tmpl with vars[name]. An unknown or unclosed
// placeholder is an error naming it.
Result<std::string> RenderTemplate(const std::string& tmpl,
                                   const std::map<std::string, std::string>& vars);

// The values the nginx template needs. run_as_root adds a `user <server.nginx_user>
// <server.nginx_group>;` line for a master started as root (the development stack): the
// workers drop to that user, and the master hands them the temp and cache directories.
std::map<std::string, std::string> NginxTemplateVars(const Config& c, bool run_as_root);

// The template compiled into the binary.
const std::string& NginxTemplate();

// RenderTemplate(NginxTemplate(), NginxTemplateVars(c, run_as_root)).
Result<std::string> RenderNginxConfig(const Config& c, bool run_as_root);

}  // namespace oj
