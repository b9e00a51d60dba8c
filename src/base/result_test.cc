#include "base/result.h"

#include <gtest/gtest.h>

#include "base/errors.h"

namespace roadside {
namespace {

Result<int> half(int x) {
  if (x % 2) return make_error(base::errc::invalid_argument, std::to_string(x) + " is odd");
  return x / 2;
}

Result<int> quarter(int x) {
  ROADSIDE_TRY(int h, half(x));
  ROADSIDE_TRY(int q, half(h));
  return q;
}

Status check_even(int x) {
  ROADSIDE_TRY_STATUS(half(x));
  return {};
}

TEST(Result, CarriesValueOrError) {
  auto r = quarter(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2);
  auto e = quarter(6);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().detail(), "3 is odd");
  EXPECT_EQ(e.error().code(), base::errc::invalid_argument);
  EXPECT_EQ(e.value_or(-1), -1);
  EXPECT_TRUE(check_even(2).ok());
  EXPECT_FALSE(check_even(3).ok());
}

TEST(Result, FaultCodesComeFromTheModuleCategory) {
  Error io = make_error(base::errc::io_error, "disk full");
  EXPECT_EQ(io.fault_code(), "io_error");
  EXPECT_EQ(io.to_string(), "disk full (io_error)");
  EXPECT_STREQ(io.code().category().name(), "base");
  io.context("writing data.db");
  EXPECT_EQ(io.detail(), "writing data.db: disk full");

  // A category that is not a FaultCategory maps to internal_error.
  Error sys(std::make_error_code(std::errc::permission_denied), "open");
  EXPECT_EQ(sys.fault_code(), "internal_error");
}

}  // namespace
}  // namespace roadside
