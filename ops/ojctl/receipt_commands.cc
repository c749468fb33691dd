// ojctl receipt init|rotate|verify: the signing keys of upload receipts, and what
// staff run when a student says "I submitted before the deadline".
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/receipt.h"
#include "core/receipt_store.h"
#include "ops/ojctl/cli.h"

namespace oj::ctl {

void AddReceiptCommands(CLI::App& app, Cli& cli) {
  auto* receipt = app.add_subcommand("receipt", "signed upload receipts (X-OJ-Receipt)");
  receipt->require_subcommand(1);

  auto* init = receipt->add_subcommand("init", "create the first signing key if there is none");
  init->callback([&cli] {
    cli.run = [&cli] {
      auto keys = ReceiptKeys::LoadOrCreate(cli.cfg.paths.keys_dir);
      if (!keys.ok()) return Fail(keys.status());
      std::cout << "receipt keys in " << cli.cfg.paths.keys_dir << ", signing with key "
                << keys->current_id() << "\n";
      return kExitOk;
    };
  });

  auto* rotate =
      receipt->add_subcommand("rotate",
                              "add a new signing key; old keys stay so old receipts still verify "
                              "(restart or SIGHUP the pool to sign with it)");
  rotate->callback([&cli] {
    cli.run = [&cli] {
      auto id = ReceiptKeys::Rotate(cli.cfg.paths.keys_dir);
      if (!id.ok()) return Fail(id.status());
      cli.Audit("receipt.rotate", cli.cfg.paths.keys_dir, "key " + std::to_string(*id));
      std::cout << "new signing key " << *id << "\n";
      return kExitOk;
    };
  });

  auto* verify = receipt->add_subcommand(
      "verify",
      "check a receipt's signature, show its fields and whether the submission "
      "exists with that hash; exit 0 only when valid");
  auto text = std::make_shared<std::string>();
  verify->add_option("receipt", *text, "the X-OJ-Receipt value")->required();
  verify->callback([&cli, text] {
    cli.run = [&cli, text] {
      auto keys = ReceiptKeys::Load(cli.cfg.paths.keys_dir);
      if (!keys.ok()) return Fail(keys.status());
      auto fields = keys->Verify(*text);
      if (!fields.ok()) {
        if (cli.json) {
          std::cout << nlohmann::json{{"valid", false}, {"reason", fields.status().message()}}
                    << "\n";
        } else {
          std::cout << "INVALID: " << fields.status().message() << "\n";
        }
        return kExitFailed;
      }
      auto db = LookupReceiptSubmission(cli.db(), fields->id);
      std::string stored;
      if (!db.ok()) {
        stored = "unknown (database unavailable: " + db.status().message() + ")";
      } else if (!db->exists) {
        stored = "NO such submission in the database";
      } else if (db->sha256 != fields->sha256 || db->token != fields->token ||
                 db->course != fields->course || db->module != fields->module) {
        stored = "MISMATCH: the stored submission differs from the receipt";
      } else {
        stored = "present with the same hash (status " + db->status + ")";
      }
      if (cli.json) {
        std::cout << nlohmann::json{{"valid", true},
                                    {"id", fields->id},
                                    {"course", fields->course},
                                    {"module", fields->module},
                                    {"token", fields->token},
                                    {"size", fields->size_bytes},
                                    {"sha256", fields->sha256},
                                    {"received_at", fields->received_at},
                                    {"seq", fields->seq},
                                    {"stored", stored}}
                  << "\n";
      } else {
        std::cout << "VALID receipt\n"
                  << "  submission   " << fields->id << "\n"
                  << "  course       " << fields->course << " / " << fields->module << "\n"
                  << "  token        " << fields->token << "\n"
                  << "  received at  " << fields->received_at << "\n"
                  << "  size         " << fields->size_bytes << " bytes\n"
                  << "  sha256       " << fields->sha256 << "\n"
                  << "  queue seq    " << fields->seq << "\n"
                  << "  database     " << stored << "\n";
      }
      return kExitOk;
    };
  });
}

}  // namespace oj::ctl
