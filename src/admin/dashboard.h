// The live dashboard page served at the admin listener's "/": one self-contained HTML document
// (no external assets) fed by an EventSource on /dashboard/events.
#pragma once

#include <string_view>

namespace ssegate::admin {

std::string_view dashboardHtml();

}  // namespace ssegate::admin
