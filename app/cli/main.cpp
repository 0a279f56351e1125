// attnscope-cli: everything the GUI computes, for scripts, tests and servers. Needs no display.
//
// Exit status: 0 success; 2 bad usage or bad input, with one line on stderr naming the problem.
#include "fetch_command.h"
#include "model_command.h"
#include "model/memory_budget.h"
#include "run_command.h"

#include "errors.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <new>

int main(int argc, char** argv) {
    attn::keep_freed_memory_for_reuse();
    CLI::App app{
        "attnscope-cli: run the seed's attention modules and nn.MultiheadAttention, print their "
        "shapes step by step, dump tensors and export attention maps"};
    app.require_subcommand(1);
    attn::cli::RunOptions run;
    attn::cli::add_run_command(app, run);
    attn::cli::FetchOptions fetch;
    CLI::App* fetch_cmd = attn::cli::add_fetch_command(app, fetch);
    attn::cli::ModelsOptions models;
    attn::cli::add_models_command(app, models);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "attnscope-cli: usage error: " << e.what() << " (see attnscope-cli run --help)\n";
        return 2;
    }

    try {
        if (fetch_cmd->parsed()) return attn::cli::fetch_command(fetch);
        if (app.got_subcommand("models")) return attn::cli::models_command(models);
        return attn::cli::run_command(run);
    } catch (const attn::Error& e) {
        std::cerr << "attnscope-cli: error: " << e.what() << '\n';
        return 2;
    } catch (const std::bad_alloc&) {
        std::cerr << "attnscope-cli: error: out of memory; use a smaller grid, batch or emb_dim\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "attnscope-cli: error: " << e.what() << '\n';
        return 1;
    }
}
